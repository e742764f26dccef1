"""The server-rendered pages with Django's test client: access per role, what each role is offered, and
constant query counts. The browser tests under tests/browser/ drive the same pages in Chromium."""

import datetime
import json
import re

import pytest
from django.core.files.base import ContentFile

from archive.models import Era, Photo, PhotoStatus, Visibility
from archive.services.ingest import do_ingest_photo, make_derivatives
from tests.factories import CollectionFactory, gray_image_bytes, make_photo

pytestmark = pytest.mark.django_db


def upload(user, collection, seed=0, **metadata):
    photo = do_ingest_photo(
        user, collection, ContentFile(gray_image_bytes(seed=seed)), f"photo-{seed}.png", metadata
    )
    make_derivatives(photo.pk)  # the job runs after commit, which a test transaction never does
    photo.refresh_from_db()
    return photo


def page_config(response) -> dict:
    match = re.search(
        r'<script id="page-config" type="application/json">(.*?)</script>', response.content.decode()
    )
    return json.loads(match.group(1))


def test_anonymous_visitors_get_the_landing_page_without_private_collections(client, people):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/login/' in page and "Public collections" in page
    assert people.collection.title not in page  # private
    assert client.get("/review/").status_code == 302


def test_the_login_page_signs_in_and_the_home_page_lists_visible_collections(client, people):
    response = client.post("/login/", {"username": "curator", "password": "correct horse battery"})
    assert response.status_code == 302 and response.url == "/"
    body = client.get("/").content.decode()
    assert "Liberation 1945" in body and "you are curator" in body


def test_outsiders_get_404_for_private_collections_and_photos(client_for, people):
    photo = upload(people.curator, people.collection)
    outsider = client_for(people.outsider)
    assert "Liberation 1945" not in outsider.get("/").content.decode()
    assert outsider.get(f"/collections/{people.collection.pk}/").status_code == 404
    assert outsider.get(f"/photos/{photo.pk}/").status_code == 404
    assert client_for(people.viewer).get(f"/photos/{photo.pk}/").status_code == 200


def test_public_collections_are_browsable_without_an_account(client_for, people):
    people.collection.visibility = Visibility.PUBLIC
    people.collection.save()
    photo = upload(people.curator, people.collection)
    anonymous = client_for(None)
    response = anonymous.get(f"/collections/{people.collection.pk}/")
    assert response.status_code == 200 and 'id="dropzone"' not in response.content.decode()
    config = page_config(anonymous.get(f"/photos/{photo.pk}/"))
    assert config["canEdit"] is False and config["user"] is None


def test_curators_get_the_drop_zone_and_edit_buttons_and_viewers_do_not(client_for, people):
    upload(people.curator, people.collection, title="Gate")
    curator_page = client_for(people.curator).get(f"/collections/{people.collection.pk}/").content.decode()
    viewer_page = client_for(people.viewer).get(f"/collections/{people.collection.pk}/").content.decode()
    assert 'id="dropzone"' in curator_page and "Edit metadata of Gate" in curator_page
    assert 'id="dropzone"' not in viewer_page and "Edit metadata of Gate" not in viewer_page


def test_the_workspace_offers_tools_by_role(client_for, people):
    photo = upload(people.curator, people.collection)
    pages = {
        name: client_for(getattr(people, name)).get(f"/photos/{photo.pk}/")
        for name in ("viewer", "curator", "reviewer")
    }
    assert "Place point hints (P)" not in pages["viewer"].content.decode()
    assert "Render full resolution" not in pages["viewer"].content.decode()
    assert "Place point hints (P)" in pages["curator"].content.decode()
    config = {name: page_config(r) for name, r in pages.items()}
    assert (config["viewer"]["canEdit"], config["curator"]["canEdit"]) == (False, True)
    assert (config["curator"]["canReview"], config["reviewer"]["canReview"]) == (False, True)
    assert config["curator"]["wsPath"] == f"/ws/photos/{photo.pk}/"
    assert config["curator"]["photo"]["width"] == photo.width
    # the web-size derivative, not the original
    assert config["curator"]["photo"]["urls"]["web"].endswith(".jpg")


def test_every_workspace_control_has_an_accessible_name(client_for, people):
    photo = upload(people.curator, people.collection)
    html = client_for(people.owner).get(f"/photos/{photo.pk}/").content.decode()
    assert re.search(r'<canvas id="canvas"[^>]*aria-label="Photo canvas: ', html)
    labelled_ids = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
    for tag in re.findall(r"<(?:button|input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in tag:
            continue
        element_id = re.search(r'id="([^"]+)"', tag)
        named = "aria-label=" in tag or (element_id and element_id.group(1) in labelled_ids)
        if not named and tag.startswith("<button"):
            continue  # buttons named by their text: checked below
        assert named or "<label" in html.split(tag)[0][-200:], f"unnamed control: {tag}"
    for button in re.findall(r"<button\b[^>]*>(.*?)</button>", html, flags=re.S):
        assert button.strip(), "a button without text or aria-label"


def _grid_titles(client, collection, **params) -> list[str]:
    response = client.get(f"/collections/{collection.pk}/", params)
    return re.findall(r'<span class="title">([^<]+)</span>', response.content.decode())


def test_facets_search_and_sort_filter_the_grid(client_for, people):
    liberation = Era.objects.get(slug="liberation")
    upload(
        people.curator,
        people.collection,
        seed=1,
        title="Crowd at the station",
        era=liberation.slug,
        situations=["liberation"],
    )
    upload(people.curator, people.collection, seed=2, title="Portrait of a teacher", situations=["portrait"])
    third = upload(people.curator, people.collection, seed=3, title="Market street")
    Photo.objects.filter(pk=third.pk).update(status=PhotoStatus.APPROVED)
    client = client_for(people.viewer)
    url = f"/collections/{people.collection.pk}/"

    def titles(**params):
        return _grid_titles(client, people.collection, **params)

    assert sorted(titles()) == ["Crowd at the station", "Market street", "Portrait of a teacher"]
    assert titles(era="liberation") == ["Crowd at the station"]
    assert titles(situation="portrait") == ["Portrait of a teacher"]
    assert titles(status="approved") == ["Market street"]
    assert titles(q="teacher") == ["Portrait of a teacher"]
    assert titles(sort="title") == ["Crowd at the station", "Market street", "Portrait of a teacher"]
    assert titles(sort="bogus")  # an unknown sort falls back to newest first
    body = client.get(url, {"era": "liberation"}).content.decode()
    assert 'aria-current="true">Liberation' in body  # the active facet is marked for assistive tech


def test_a_curator_redating_a_photo_moves_it_in_the_date_sort(client_for, people):
    upload(people.curator, people.collection, seed=1, title="Parade", date_from="1950-05-01")
    upload(people.curator, people.collection, seed=2, title="Station", date_display="c. 1947")
    market = upload(people.curator, people.collection, seed=3, title="Market")
    viewer = client_for(people.viewer)
    undated_last = ["Station", "Parade", "Market"]
    assert _grid_titles(viewer, people.collection, sort="date") == undated_last
    curator = client_for(people.curator)
    response = curator.patch(
        f"/api/photos/{market.pk}/", {"date_display": "1930s"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert _grid_titles(viewer, people.collection, sort="date") == ["Market", "Station", "Parade"]
    response = curator.post(
        f"/api/collections/{people.collection.pk}/photos/metadata/",
        {"photos": [market.pk], "changes": {"date_from": "1960"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert _grid_titles(viewer, people.collection, sort="date") == ["Station", "Parade", "Market"]


def test_sorting_a_large_collection_by_date_sends_the_database_the_same_query_as_a_small_one(
    client_for, people
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    viewer = client_for(people.viewer)

    def longest_statement() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert viewer.get(f"/collections/{people.collection.pk}/", {"sort": "date"}).status_code == 200
        # counts and the page's id lists (the published previews of the photos shown) aside
        statements = (re.sub(r"IN \([\d, ]*\)", "IN (0)", q["sql"]) for q in queries.captured_queries)
        return max(len(re.sub(r"\d+", "0", sql)) for sql in statements)

    for seed in range(3):
        make_photo(people.collection, seed=seed, date_display=f"c. {1940 + seed}")
    small = longest_statement()
    for seed in range(3, 40):
        make_photo(people.collection, seed=seed, date_display=f"c. {1940 + seed}")
    assert longest_statement() == small  # no per-photo term in the ORDER BY


def test_the_migration_dates_the_photos_that_were_dated_before_it(people):
    import importlib

    from django.apps import apps

    fill_date_sort = importlib.import_module("archive.migrations.0009_photo_date_sort").fill_date_sort
    dated = make_photo(people.collection, seed=1, date_to="1953-07-27")
    approximate = make_photo(people.collection, seed=2, date_display="about 1910")
    undated = make_photo(people.collection, seed=3)
    Photo.objects.update(date_sort=None)  # as the rows were before the column existed
    fill_date_sort(apps, None)
    got = dict(Photo.objects.values_list("pk", "date_sort"))
    assert got == {
        dated.pk: datetime.date(1953, 7, 27),
        approximate.pk: datetime.date(1910, 1, 1),
        undated.pk: None,
    }


def test_the_collections_list_makes_a_constant_number_of_queries(
    client_for, people, django_assert_max_num_queries
):
    client = client_for(people.curator)
    for i in range(3):
        extra = CollectionFactory(owner=people.owner, title=f"Extra {i}")
        extra.memberships.create(user=people.curator, role=20)
        for seed in range(3):
            upload(people.owner, extra, seed=10 * i + seed)
    with django_assert_max_num_queries(8):
        body = client.get("/").content.decode()
    assert body.count('class="card collection-card"') == 4
    assert body.count("<img ") >= 9  # the thumbnail mosaics


def test_the_review_queue_lists_submitted_versions_of_reviewable_collections(client_for, people):
    pytest.importorskip("colorize.services.review")
    from colorize.models import Review, Run, Version

    photo = upload(people.curator, people.collection, title="Gate")
    run = Run.objects.create(photo=photo, requested_by=people.curator, status="done", progress=100)
    version = Version.objects.create(
        photo=photo,
        run=run,
        number=1,
        model_name="m",
        model_version="1",
        model_checksum="x",
        hints=[{"id": 1, "status": "verified"}],
        hints_mode="all",
        result="r.png",
        preview="p.jpg",
        uncertainty="u.png",
        result_sha256="0" * 64,
        width=64,
        height=48,
        created_by=people.curator,
    )
    assert "Nothing awaits review" in client_for(people.reviewer).get("/review/").content.decode()
    Review.objects.create(
        version=version, reviewer=people.curator, decision="submitted", comment="please check"
    )
    reviewer_page = client_for(people.reviewer).get("/review/").content.decode()
    assert "Review version 1 of Gate" in reviewer_page and "please check" in reviewer_page
    assert f"/photos/{photo.pk}/?version={version.pk}" in reviewer_page
    assert "Review version 1" not in client_for(people.viewer).get("/review/").content.decode()
    assert "Review version 1" not in client_for(people.curator).get("/review/").content.decode()  # four eyes


def test_large_collections_are_paged_keeping_the_filters(client_for, people, monkeypatch):
    from frontend import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for seed in range(5):
        upload(people.curator, people.collection, seed=seed, title=f"Photo {seed}", situations=["street"])
    client = client_for(people.viewer)
    first = client.get(f"/collections/{people.collection.pk}/", {"situation": "street", "sort": "title"})
    body = first.content.decode()
    assert "5 photos" in body and "page 1 of 3" in body
    assert re.findall(r'<span class="title">([^<]+)</span>', body) == ["Photo 0", "Photo 1"]
    assert "?situation=street&amp;sort=title&amp;page=2" in body
    third = client.get(
        f"/collections/{people.collection.pk}/", {"situation": "street", "sort": "title", "page": 3}
    )
    assert re.findall(r'<span class="title">([^<]+)</span>', third.content.decode()) == ["Photo 4"]


def test_search_results_come_by_relevance_and_facet_counts_follow_the_search(client_for, people):
    upload(
        people.curator,
        people.collection,
        seed=1,
        title="Harbour",
        description="boats near the station",
        situations=["street"],
    )
    upload(people.curator, people.collection, seed=2, title="Station", situations=["street"])
    upload(people.curator, people.collection, seed=3, title="Market", situations=["daily-life"])
    body = (
        client_for(people.viewer)
        .get(f"/collections/{people.collection.pk}/", {"q": "station"})
        .content.decode()
    )
    titles = re.findall(r'<span class="title">([^<]+)</span>', body)
    assert sorted(titles) == ["Harbour", "Station"]
    assert '<option value="" selected>best match</option>' in body
    street = re.search(r"Street <span class=\"n\">(\d+)</span>", body)
    assert street and street.group(1) == "2"
    assert "Daily life" not in body  # facets with no match in the search are not offered
