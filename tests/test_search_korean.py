"""Search that works for Korean: a word inside a longer word ("서울역" in "서울역에서"), any spacing, Korean and
English era names; a constant number of queries; on PostgreSQL served by a pg_trgm GIN index. Runs on SQLite
and PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.services.photos import do_update_photo_metadata
from tests.factories import ingest_photo

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture
def korean_archive(people):
    return {
        "station": ingest_photo(
            people, title="서울역에서 본 거리", era="japanese-occupation", place="경성부"
        ),
        "square": ingest_photo(
            people, title="서울 역 앞 광장", description="피란민이 모인 모습", era="korean-war"
        ),
        "busan": ingest_photo(
            people, title="부산항 부두", place="부산", description="Refugees at the port of Busan"
        ),
        "english": ingest_photo(people, title="Seoul station at night", era="liberation"),
    }


def found(client, q) -> set[int]:
    response = client.get("/api/photos/", {"q": q})
    assert response.status_code == 200, response.content
    return {p["id"] for p in response.json()["results"]}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("서울역", {"station", "square"}),  # inside 서울역에서, and across the space of 서울 역
        ("서울 역", {"station", "square"}),  # the query's spacing does not matter either
        ("서울역에서", {"station"}),
        ("피란민", {"square"}),  # the description
        ("경성", {"station"}),  # the place
        ("부산 refugees", {"busan"}),  # Korean and English words together
        ("한국전쟁", {"square"}),  # the era's Korean name
        ("korean war", {"square"}),  # ... and its English name
        ("일제", {"station"}),  # part of 일제강점기
        ("seoul", {"english"}),
        ("대구", set()),
    ],
)
def test_a_korean_curator_finds_photos_by_any_part_of_a_korean_word(
    people, client_for, korean_archive, q, expected
):
    assert found(client_for(people.viewer), q) == {korean_archive[name].pk for name in expected}


def test_the_collection_page_searches_korean_too(people, client_for, korean_archive):
    client = client_for(people.viewer)
    client.cookies["django_language"] = "ko"
    body = client.get(f"/collections/{people.collection.pk}/", {"q": "서울 역"}).content.decode()
    assert "서울역에서 본 거리" in body and "서울 역 앞 광장" in body and "부산항" not in body
    assert "사진 2장" in body


def test_a_search_costs_one_query_more_than_a_plain_list_whatever_its_words_and_size(
    people, client_for, korean_archive
):
    client = client_for(people.viewer)
    with CaptureQueriesContext(connection) as plain:
        client.get("/api/photos/")
    counts = set()
    for q in ["서울역", "서울 역 광장", "korean war 피란민"]:
        for _ in range(2):
            with CaptureQueriesContext(connection) as searched:
                client.get("/api/photos/", {"q": q})
            counts.add(len(searched))
            ingest_photo(people, title=f"{q} 추가", era="korean-war")  # more photos, same count
    assert counts == {len(plain) + 1}  # + the era names


def test_edited_metadata_is_searchable_at_once(people, client_for, korean_archive):
    photo_ = korean_archive["busan"]
    do_update_photo_metadata(people.curator, photo_, {"title": "인천 상륙 작전"})
    assert found(client_for(people.viewer), "인천상륙") == {photo_.pk}


def test_postgresql_serves_korean_substrings_from_a_trigram_index(people, korean_archive, settings):
    if not settings.IS_POSTGRES:
        pytest.skip("pg_trgm: runs when DATABASE_URL points at PostgreSQL")
    from archive.models import Photo
    from archive.services.search import search_photos

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'archive_photo'")
        indexes = dict(cursor.fetchall())
    assert "gin_trgm_ops" in indexes["photo_search_text_trgm"]
    assert "to_tsvector" in indexes["photo_search_fts_english"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a four-row table is scanned otherwise
        korean = search_photos(Photo.objects.all(), "서울역에서").explain()
        english = search_photos(Photo.objects.all(), "refugees").explain()
    assert "photo_search_text_trgm" in korean and "photo_search_fts_english" not in korean, korean
    assert "photo_search_fts_english" in english, english


def test_photos_with_the_words_in_their_title_come_first(people, client_for, korean_archive):
    described = ingest_photo(people, title="거리 풍경", description="멀리 서울역이 보인다")
    titled = korean_archive["station"]
    results = client_for(people.viewer).get("/api/photos/", {"q": "서울역 거리"}).json()["results"]
    assert [p["id"] for p in results] == [titled.pk, described.pk]
