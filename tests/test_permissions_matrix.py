"""Every persona x every archive endpoint: who may read, write, manage; outsiders get 404, never 403."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archive.models import Visibility
from archive.services.ingest import do_ingest_photo
from tests.factories import gray_image_bytes

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "curator", "reviewer", "viewer", "outsider", "anonymous"]
MEMBERS = {"owner", "curator", "reviewer", "viewer"}


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z.png", gray_image_bytes(seed=99))
    return buffer.getvalue()


# name: (method, url template, body factory or None, format)
ENDPOINTS = {
    "list collections": ("get", "/api/collections/", None),
    "create collection": ("post", "/api/collections/", lambda: {"title": "New"}),
    "read collection": ("get", "/api/collections/{c}/", None),
    "edit collection": ("patch", "/api/collections/{c}/", lambda: {"title": "Renamed"}),
    "list members": ("get", "/api/collections/{c}/members/", None),
    "add member": (
        "post",
        "/api/collections/{c}/members/",
        lambda: {"username": "newcomer", "role": "viewer"},
    ),
    "change member role": ("patch", "/api/collections/{c}/members/viewer/", lambda: {"role": "curator"}),
    "remove member": ("delete", "/api/collections/{c}/members/viewer/", None),
    "upload photo": (
        "multipart",
        "/api/collections/{c}/photos/",
        lambda: {"file": SimpleUploadedFile("n.png", gray_image_bytes(seed=42))},
    ),
    "upload zip": (
        "multipart",
        "/api/collections/{c}/photos/zip/",
        lambda: {"file": SimpleUploadedFile("b.zip", zip_bytes())},
    ),
    "list photos": ("get", "/api/photos/", None),
    "read photo": ("get", "/api/photos/{p}/", None),
    "edit photo metadata": (
        "patch",
        "/api/photos/{p}/",
        lambda: {"title": "Better title", "era": "post-war"},
    ),
    "download original": ("get", "/api/photos/{p}/original/", None),
    "list eras": ("get", "/api/eras/", None),
    "list situations": ("get", "/api/situations/", None),
}

OK = {"get": 200, "post": 201, "patch": 200, "delete": 204, "multipart": 201}


def expected_private(endpoint: str, persona: str) -> int:
    method = ENDPOINTS[endpoint][0]
    ok = 200 if endpoint == "upload zip" else OK[method]
    anonymous_write = 403  # DRF answers unauthenticated writes before looking anything up
    if endpoint in ("list collections", "list photos", "list eras", "list situations"):
        return 200
    if endpoint == "create collection":
        return anonymous_write if persona == "anonymous" else 201
    if persona == "anonymous":
        return 404 if method == "get" else anonymous_write
    if persona == "outsider":
        return 404
    minimum = {
        "read collection": "viewer",
        "list members": "viewer",
        "read photo": "viewer",
        "download original": "viewer",
        "upload photo": "curator",
        "upload zip": "curator",
        "edit photo metadata": "curator",
        "edit collection": "owner",
        "add member": "owner",
        "change member role": "owner",
        "remove member": "owner",
    }[endpoint]
    order = ["viewer", "curator", "reviewer", "owner"]
    return ok if order.index(persona) >= order.index(minimum) else 403


@pytest.fixture
def world(people):
    from tests.factories import UserFactory

    UserFactory(username="newcomer")
    people.photo = do_ingest_photo(
        people.curator, people.collection, io.BytesIO(gray_image_bytes(seed=1)), "p.png"
    )
    return people


def call(client_for, world, persona: str, endpoint: str):
    method, template, body = ENDPOINTS[endpoint]
    user = None if persona == "anonymous" else getattr(world, persona)
    client = client_for(user)
    url = template.format(c=world.collection.pk, p=world.photo.pk)
    data = body() if body else None
    if method == "multipart":
        return client.post(url, data)
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_private_collection_permission_matrix(client_for, world, persona, endpoint):
    response = call(client_for, world, persona, endpoint)
    expected = expected_private(endpoint, persona)
    assert response.status_code == expected, (endpoint, persona, getattr(response, "data", None))
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_show_a_private_collection_to_members_only(client_for, world, persona):
    user = None if persona == "anonymous" else getattr(world, persona)
    client = client_for(user)
    collections = [c["id"] for c in client.get("/api/collections/").json()["results"]]
    photos = [p["id"] for p in client.get("/api/photos/").json()["results"]]
    visible = persona in MEMBERS
    assert (world.collection.pk in collections) is visible
    assert (world.photo.pk in photos) is visible


PUBLIC_EXPECTED = {
    # endpoint: {persona: status} where it differs from the private matrix
    "read collection": {"outsider": 200, "anonymous": 200},
    "read photo": {"outsider": 200, "anonymous": 200},
    "download original": {"outsider": 200, "anonymous": 200},
    "list members": {"outsider": 403, "anonymous": 403},
    "edit collection": {"outsider": 403},
    "add member": {"outsider": 403},
    "change member role": {"outsider": 403},
    "remove member": {"outsider": 403},
    "upload photo": {"outsider": 403},
    "upload zip": {"outsider": 403},
    "edit photo metadata": {"outsider": 403},
}


@pytest.mark.parametrize("persona", ["outsider", "anonymous"])
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_public_collections_are_readable_by_anyone_but_writable_by_members_only(
    client_for, world, persona, endpoint
):
    world.collection.visibility = Visibility.PUBLIC
    world.collection.save()
    expected = PUBLIC_EXPECTED.get(endpoint, {}).get(persona, expected_private(endpoint, persona))
    response = call(client_for, world, persona, endpoint)
    assert response.status_code == expected, (endpoint, persona, getattr(response, "data", None))


def test_members_visibility_lets_any_signed_in_user_read(client_for, world):
    world.collection.visibility = Visibility.MEMBERS
    world.collection.save()
    url = f"/api/photos/{world.photo.pk}/"
    assert client_for(world.outsider).get(url).status_code == 200
    assert client_for(None).get(url).status_code == 404
    assert (
        client_for(world.outsider).patch(url, {"title": "x"}, content_type="application/json").status_code
        == 403
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_gets_a_token_with_their_own_password_and_nobody_without(client_for, world, persona):
    credentials = {"username": persona, "password": "correct horse battery"}
    if persona == "anonymous":
        credentials = {"username": "", "password": ""}
    response = client_for(None).post("/api/auth/token/", credentials, content_type="application/json")
    assert response.status_code == (400 if persona == "anonymous" else 200)


def test_filtering_on_a_private_collection_shows_outsiders_nothing(client_for, world):
    response = client_for(world.outsider).get(f"/api/photos/?collection={world.collection.pk}")
    assert response.json()["count"] == 0


# ---------------------------------------------------------------------------------------------------------
# Read leaks: drafts' files, profiles built from private photos, run lists; tokens wherever sessions work.


@pytest.fixture
def restorations(world, settings, django_capture_on_commit_callbacks):
    """In the (then public) collection: a draft version and a published one of the same photo, in a context."""
    from archive.models import Era
    from colorize.services import review as review_services
    from tests.test_run_support import COLORIZER_PATH, run_now

    settings.COLORIZER = COLORIZER_PATH
    world.photo.era = Era.objects.get(slug="korean-war")
    world.photo.save()
    world.draft = run_now(world.curator, world.photo).version
    world.published = run_now(world.curator, world.photo).version
    review_services.do_submit(world.curator, world.published)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.do_approve(world.reviewer, world.published)
    return world


def _version_files(version) -> list[str]:
    return [f.url for f in (version.result, version.preview, version.uncertainty)]


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_public_collections_draft_files_are_served_to_members_only(client_for, restorations, persona):
    world = restorations
    world.collection.visibility = Visibility.PUBLIC
    world.collection.save()
    client = client_for(None if persona == "anonymous" else getattr(world, persona))
    draft = [client.get(url).status_code for url in _version_files(world.draft)]
    published = [client.get(url).status_code for url in _version_files(world.published)]
    api = client.get(f"/api/versions/{world.draft.pk}/").status_code
    assert published == [200, 200, 200]
    if persona in MEMBERS:
        assert draft == [200, 200, 200] and api == 200
    else:
        assert draft == [404, 404, 404] and api == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_private_collections_adaptation_is_seen_by_its_readers_only(client_for, restorations, persona):
    world = restorations
    client = client_for(None if persona == "anonymous" else getattr(world, persona))
    answer = client.get(f"/api/collections/{world.collection.pk}/adaptation/").status_code
    listed = {a["scope"] for a in client.get("/api/adaptations/").json()["results"]}
    assert answer == (200 if persona in MEMBERS else 404)
    assert not any(scope.startswith("collection:") for scope in listed)  # never listed with the contexts


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_public_photos_run_list_hides_drafts_and_requesters_from_non_members(
    client_for, restorations, persona
):
    world = restorations
    world.collection.visibility = Visibility.PUBLIC
    world.collection.save()
    client = client_for(None if persona == "anonymous" else getattr(world, persona))
    runs = client.get(f"/api/photos/{world.photo.pk}/runs/").json()["results"]
    single = client.get(f"/api/runs/{world.draft.run_id}/").json()
    shown_versions = {r["version"] for r in runs} | {r["parent_version"] for r in runs} | {single["version"]}
    requesters = {r["requested_by"] for r in runs} | {single["requested_by"]}
    assert len(runs) == 2
    if persona in MEMBERS:
        assert world.draft.pk in shown_versions and requesters == {"curator"}
    else:
        assert world.draft.pk not in shown_versions and requesters == {None}
        assert world.published.pk in shown_versions


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_published_versions_draft_parent_is_named_to_members_only(client_for, restorations, persona):
    world = restorations
    world.collection.visibility = Visibility.PUBLIC
    world.collection.save()
    assert world.published.parent_id == world.draft.pk
    client = client_for(None if persona == "anonymous" else getattr(world, persona))
    pk = world.published.pk
    listed = client.get(f"/api/photos/{world.photo.pk}/versions/").json()["results"]
    detail = client.get(f"/api/versions/{pk}/").json()
    compared = client.get(f"/api/versions/{pk}/compare/?with=original").json()["this"]
    parents = {v["parent"] for v in listed if v["id"] == pk} | {detail["parent"], compared["parent"]}
    assert parents == ({world.draft.pk} if persona in MEMBERS else {None})


@pytest.mark.parametrize(
    "url",
    [
        "/api/photos/{p}/annotations/",
        "/iiif/photos/{p}/manifest.json",
        "/iiif/collections/{c}/collection.json",
        "media:original",
    ],
)
def test_a_viewers_api_token_works_wherever_their_session_does(client_for, world, url):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    if url == "media:original":
        url = world.photo.original.url
    url = url.format(p=world.photo.pk, c=world.collection.pk)
    key = Token.objects.create(user=world.viewer).key
    assert client_for(world.viewer).get(url).status_code == 200
    assert Client(headers={"Authorization": f"Token {key}"}).get(url).status_code == 200
    assert Client().get(url).status_code == 404
    refused = Client(headers={"Authorization": "Token not-a-token"}).get(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "authentication_failed"
