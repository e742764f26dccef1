"""Browse and search: filters, the date-range overlap, full-text q, ordering, pagination, query counts."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.models import Photo, Visibility
from archive.services.ingest import do_ingest_photo
from tests.factories import CollectionFactory, gray_image_bytes

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
_seed = iter(range(10_000))


def photo(collection, user, **metadata):
    return do_ingest_photo(
        user, collection, io.BytesIO(gray_image_bytes(16, 12, seed=next(_seed))), "p.png", metadata
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [p["id"] for p in response.json()["results"]]


@pytest.fixture
def archive(people):
    c = people.collection
    u = people.curator
    return {
        "war": photo(
            c,
            u,
            title="Refugees on the Han river bridge",
            era="korean-war",
            situations="war,rural",
            date_from="1950-06-25",
            date_to="1951-12-31",
            place="Seoul",
        ),
        "liberation": photo(
            c,
            u,
            title="Crowds celebrate",
            description="Protesters and families fill the streets of Seoul",
            era="liberation",
            situations="liberation,street",
            date_display="1945-08-15",
            date_from="1945-08-15",
            date_to="1945-08-15",
        ),
        "portrait": photo(c, u, title="Portrait of a teacher", creator="Kim Han-yong", situations="portrait"),
        "open_start": photo(c, u, title="Market", date_to="1948-01-01"),
    }


def test_it_filters_by_era_situation_status_and_collection(people, client_for, archive):
    client = client_for(people.viewer)
    assert ids(client.get("/api/photos/?era=korean-war")) == [archive["war"].pk]
    assert ids(client.get("/api/photos/?situation=street")) == [archive["liberation"].pk]
    Photo.objects.filter(pk=archive["portrait"].pk).update(status="approved")
    assert ids(client.get("/api/photos/?status=approved")) == [archive["portrait"].pk]
    other = CollectionFactory(owner=people.viewer)
    mine = photo(other, people.viewer, title="Elsewhere")
    assert ids(client.get(f"/api/photos/?collection={other.pk}")) == [mine.pk]
    assert len(ids(client.get(f"/api/photos/?collection={people.collection.pk}"))) == 4


def test_date_filters_select_photos_whose_range_overlaps(people, client_for, archive):
    client = client_for(people.viewer)
    war, liberation, open_start = archive["war"].pk, archive["liberation"].pk, archive["open_start"].pk
    assert set(ids(client.get("/api/photos/?date_from=1951-01-01&date_to=1951-02-01"))) == {war}
    assert set(ids(client.get("/api/photos/?date_from=1945-01-01&date_to=1945-12-31"))) == {liberation}
    assert set(ids(client.get("/api/photos/?date_to=1950-07-01"))) == {war, liberation, open_start}
    assert set(ids(client.get("/api/photos/?date_from=1946-01-01"))) == {war, open_start}
    assert set(ids(client.get("/api/photos/?date_from=1952-01-01"))) == set()


def test_an_invalid_filter_value_is_a_400_in_the_error_format(people, client_for, archive):
    response = client_for(people.viewer).get("/api/photos/?date_from=yesterday")
    assert response.status_code == 400
    assert "date_from" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "q, expected",
    [
        ("refugees", {"war"}),
        ("seoul", {"war", "liberation"}),
        ("protesters seoul", {"liberation"}),
        ("kim", {"portrait"}),
        ("korean war", {"war"}),  # the era's name is searched too
        ("nothing-like-this", set()),
    ],
)
def test_q_searches_the_descriptive_metadata(people, client_for, archive, q, expected):
    found = set(ids(client_for(people.viewer).get("/api/photos/", {"q": q})))
    assert found == {archive[name].pk for name in expected}


def test_q_uses_full_text_search_on_postgresql(people, client_for, archive, settings):
    if not settings.IS_POSTGRES:
        pytest.skip("PostgreSQL full-text search: runs when DATABASE_URL points at PostgreSQL")
    client = client_for(people.viewer)
    # Stemming: "protest" finds "Protesters"? english stems protesters -> protest.
    assert ids(client.get("/api/photos/", {"q": "protest"})) == [archive["liberation"].pk]
    assert ids(client.get("/api/photos/", {"q": "celebrating"})) == [archive["liberation"].pk]
    # Ranking: a title hit outranks a description hit.
    first = photo(people.collection, people.curator, title="Seoul station", description="")
    assert ids(client.get("/api/photos/", {"q": "seoul station"}))[0] == first.pk


def test_a_viewer_ordering_by_date_gets_undated_photos_last_both_ways(people, client_for, archive):
    client = client_for(people.viewer)
    by = {name: p.pk for name, p in archive.items()}
    up = ids(client.get("/api/photos/", {"ordering": "date_from,id"}))
    down = ids(client.get("/api/photos/", {"ordering": "-date_from,id"}))
    no_start = {by["open_start"], by["portrait"]}  # "open_start" has only an end date, "portrait" no date
    assert up[:2] == [by["liberation"], by["war"]] and set(up[2:]) == no_start
    assert down[:2] == [by["war"], by["liberation"]] and set(down[2:]) == no_start
    by_end = ids(client.get("/api/photos/", {"ordering": "-date_to"}))
    assert by_end == [by["war"], by["open_start"], by["liberation"], by["portrait"]]


def test_it_orders_and_paginates(people, client_for, archive):
    client = client_for(people.viewer)
    titles = [p["title"] for p in client.get("/api/photos/?ordering=title").json()["results"]]
    assert titles == sorted(titles)
    newest_first = ids(client.get("/api/photos/"))
    assert newest_first == sorted(newest_first, reverse=True)
    page = client.get("/api/photos/?page_size=3&ordering=id").json()
    assert page["count"] == 4 and len(page["results"]) == 3 and page["next"]
    second = client.get(page["next"]).json()
    assert [p["id"] for p in second["results"]] == [max(p.pk for p in archive.values())]


def test_listing_shows_only_collections_the_user_may_read(people, client_for, archive):
    public = CollectionFactory(owner=people.outsider, visibility=Visibility.PUBLIC)
    shown = photo(public, people.outsider, title="Public photo")
    assert ids(client_for(people.outsider).get("/api/photos/")) == [shown.pk]
    assert ids(client_for(None).get("/api/photos/")) == [shown.pk]
    assert len(ids(client_for(people.viewer).get("/api/photos/"))) == 5


def test_the_query_count_of_a_list_does_not_grow_with_the_number_of_photos(
    people, client_for, django_assert_num_queries
):
    client = client_for(people.viewer)
    photo(people.collection, people.curator, era="korean-war", situations="war")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/photos/").json()["results"]) == 1
    # session, user, count, page, situations (prefetch)
    assert len(one) == 5, [q["sql"] for q in one.captured_queries]
    for _ in range(6):
        photo(people.collection, people.curator, era="liberation", situations="war,street,protest")
    with django_assert_num_queries(len(one)):
        response = client.get("/api/photos/")
    assert len(response.json()["results"]) == 7
    with django_assert_num_queries(len(one)):
        response = client.get("/api/photos/?situation=war&era=liberation&status=unrestored&ordering=title")
    assert len(response.json()["results"]) == 6
