"""Eras and situations in Korean and English; eras as two trees (Korean periods, centuries and decades) that give
every year from 1850 to 2000 an era; filtering by an era takes the eras inside it, and by a decade the photos
dated inside it. Runs on SQLite and PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from archive.models import Era, EraKind, Situation
from tests.factories import ingest_photo

pytestmark = pytest.mark.django_db
# The slugs of the first vocabulary: photos, hint guidance and the model's context profiles key on them.
FIRST_SLUGS = [
    "korean-empire", "japanese-occupation", "liberation", "first-republic", "korean-war", "post-war",
    "1860s", "1870s", "1880s", "1890s", "1960s", "1970s", "1980s", "1990s",
]  # fmt: skip


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {p["id"] for p in response.json()["results"]}


def test_every_year_from_1850_to_2000_has_a_korean_period_and_a_decade(db):
    eras = list(Era.objects.all())
    for year in range(1850, 2001):
        covering = [e for e in eras if e.year_from <= year <= e.year_to]
        assert any(e.kind == EraKind.PERIOD for e in covering), year
        decades = [e for e in covering if e.kind == EraKind.DECADE]
        assert [e.slug for e in decades] == [Era.decade_slug(year)], year
        assert all(d.parent.kind == EraKind.CENTURY for d in decades)


def test_the_first_vocabularys_slugs_stay_valid(db):
    assert set(FIRST_SLUGS) <= set(Era.objects.values_list("slug", flat=True))


def test_every_era_and_situation_has_a_korean_and_an_english_name(db):
    for item in [*Era.objects.all(), *Situation.objects.all()]:
        assert item.name_ko and item.name_en, item.slug
        assert item.name_ko != item.name_en or item.slug.endswith("s"), (
            item.slug
        )  # 1910s stays 1910s only in en
    for period in Era.objects.filter(kind=EraKind.PERIOD):
        assert period.description_ko and period.description_en, period.slug


def test_names_follow_the_active_language_and_fall_back_to_the_other(db):
    war = Era.objects.get(slug="korean-war")
    with translation.override("ko"):
        assert war.name == "한국전쟁" and str(Era.objects.get(slug="1910s")) == "1910년대"
    with translation.override("en"):
        assert war.name == "Korean War"
    Era.objects.create(slug="only-english", name_en="Only English", kind=EraKind.PERIOD)
    with translation.override("ko"):
        assert Era.objects.get(slug="only-english").name == "Only English"


def test_the_api_answers_a_korean_reader_in_korean(client):
    eras = {e["slug"]: e for e in client.get("/api/eras/", headers={"accept-language": "ko"}).json()}
    assert eras["japanese-occupation"]["name"] == "일제강점기"
    assert eras["korean-war"]["parent"] == "first-republic"
    assert eras["1910s"]["name"] == "1910년대" and eras["1910s"]["parent"] == "20th-century"
    situations = client.get("/api/situations/", headers={"accept-language": "ko"}).json()
    assert {s["slug"]: s["name"] for s in situations}["street"] == "거리"
    english = client.get("/api/eras/", headers={"accept-language": "en"}).json()
    assert {e["slug"]: e["name"] for e in english}["japanese-occupation"] == "Japanese occupation"


def test_a_photo_carries_a_period_and_its_decade_follows_from_its_date(people, client_for):
    detroit = ingest_photo(people, title="Detroit street", date_display="c. 1915", date_from="1914-01-01",
                    date_to="1916-12-31")  # fmt: skip
    seoul = ingest_photo(people, title="서울역 앞 거리", era="japanese-occupation", date_from="1925-05-01")
    new_year = ingest_photo(people, title="New Year", date_from="1919-12-31", date_to="1920-01-02")
    undated = ingest_photo(people, title="Undated", era="1910s")
    client = client_for(people.viewer)
    assert ids(client.get("/api/photos/?decade=1910")) == {detroit.pk, new_year.pk}
    assert ids(client.get("/api/photos/?decade=1920")) == {seoul.pk, new_year.pk}
    assert ids(client.get("/api/photos/?era=1910s")) == {detroit.pk, new_year.pk, undated.pk}
    assert ids(client.get("/api/photos/?era=20th-century")) == {detroit.pk, seoul.pk, new_year.pk, undated.pk}
    assert ids(client.get("/api/photos/?era=japanese-occupation")) == {seoul.pk}
    assert ids(client.get("/api/photos/?decade=1850")) == set()
    assert client.get("/api/photos/?decade=nineteen-ten").status_code == 400


def test_an_era_takes_the_photos_of_the_eras_inside_it(people, client_for):
    war = ingest_photo(people, title="Refugees", era="korean-war")
    founding = ingest_photo(people, title="Founding ceremony", era="first-republic")
    client = client_for(people.viewer)
    assert ids(client.get("/api/photos/?era=first-republic")) == {war.pk, founding.pk}
    assert ids(client.get("/api/photos/?era=korean-war")) == {war.pk}
    assert ids(client.get("/api/photos/?era=no-such-era")) == set()


def test_filtering_by_an_era_or_a_decade_adds_no_query(people, client_for):
    for _ in range(3):
        ingest_photo(people, era="korean-war", date_from="1951-01-01")
    client = client_for(people.viewer)
    with CaptureQueriesContext(connection) as plain:
        client.get("/api/photos/")
    with CaptureQueriesContext(connection) as by_era:
        assert len(ids(client.get("/api/photos/?era=1950s"))) == 3
    with CaptureQueriesContext(connection) as by_decade:
        assert len(ids(client.get("/api/photos/?decade=1950&era=first-republic"))) == 3
    assert len(plain) == len(by_era) == len(by_decade)


def test_the_collection_page_offers_eras_in_the_readers_language(people, client_for):
    ingest_photo(people, era="korean-war")
    client = client_for(people.curator)
    client.cookies["django_language"] = "ko"
    body = client.get(f"/collections/{people.collection.pk}/").content.decode()
    assert "한국전쟁" in body and "일제강점기" in body and "1910년대" in body
    assert "Korean War" not in body
