"""REST API of hints: same services (and events) as the room socket."""

import pytest

from colorize.models.hints import Hint, HintEvent
from tests.factories import make_photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_previews")]

RED = {"x": 0.42, "y": 0.31, "color": "#b22222", "radius": 0.01}


@pytest.fixture
def photo(people):
    return make_photo(people.collection)


def post(client, photo, body, **headers):
    return client.post(f"/api/photos/{photo.pk}/hints/", body, content_type="application/json", **headers)


def patch(client, hint_id, body):
    return client.patch(f"/api/hints/{hint_id}/", body, content_type="application/json")


def test_curators_add_hints_and_members_list_them(people, photo, client_for):
    response = post(client_for(people.curator), photo, RED)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["room_revision"] == 1 and body["hint"]["color"] == "#b22222" and body["hint"]["revision"] == 1
    listing = client_for(people.viewer).get(f"/api/photos/{photo.pk}/hints/").json()
    assert listing["room_revision"] == 1 and [h["id"] for h in listing["hints"]] == [body["hint"]["id"]]


def test_outsiders_get_404_and_viewers_403(people, photo, client_for):
    assert client_for(people.outsider).get(f"/api/photos/{photo.pk}/hints/").status_code == 404
    assert post(client_for(people.outsider), photo, RED).status_code == 404
    assert client_for(None).get(f"/api/photos/{photo.pk}/hints/").status_code == 404
    response = post(client_for(people.viewer), photo, RED)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert not Hint.objects.exists()


def test_bad_input_gets_a_clear_error(people, photo, client_for):
    response = post(client_for(people.curator), photo, {"x": 2, "y": 0.5, "color": "blue"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {"x", "color"}
    response = client_for(people.curator).post(
        f"/api/photos/{photo.pk}/hints/", "[1]", content_type="application/json"
    )
    assert response.status_code == 400


def test_patch_names_the_revision_and_a_stale_one_gets_409_with_the_current_hint(people, photo, client_for):
    hint_id = post(client_for(people.curator), photo, RED).json()["hint"]["id"]
    ok = patch(client_for(people.curator), hint_id, {"revision": 1, "x": 0.6})
    assert ok.status_code == 200 and ok.json()["hint"]["revision"] == 2
    stale = patch(client_for(people.owner), hint_id, {"revision": 1, "color": "#000000"})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale" and stale.json()["hint"]["x"] == 0.6
    missing = patch(client_for(people.owner), hint_id, {"color": "#000000"})
    assert missing.status_code == 400 and "revision" in missing.json()["error"]["fields"]
    assert Hint.objects.get().color == "#b22222"


def test_idempotency_key_applies_a_retried_post_once(people, photo, client_for):
    client = client_for(people.curator)
    first = post(client, photo, RED, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, photo, RED, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] and again.json()["hint"]["id"] == first.json()["hint"]["id"]
    assert Hint.objects.count() == 1


def test_reviewers_verify_with_evidence_through_patch(people, photo, client_for):
    hint_id = post(client_for(people.curator), photo, RED).json()["hint"]["id"]
    assert (
        patch(client_for(people.curator), hint_id, {"revision": 1, "status": "verified"}).status_code == 403
    )
    no_evidence = patch(client_for(people.reviewer), hint_id, {"revision": 1, "status": "verified"})
    assert no_evidence.status_code == 400 and no_evidence.json()["error"]["code"] == "evidence_required"
    verified = patch(
        client_for(people.reviewer),
        hint_id,
        {"revision": 1, "status": "verified", "evidence_url": "https://archive.example/item/42"},
    )
    assert verified.status_code == 400  # a URL alone is not a note or a source
    verified = patch(
        client_for(people.reviewer),
        hint_id,
        {"revision": 1, "status": "verified", "evidence_source": "Caption, Signal Corps 1951"},
    )
    assert verified.status_code == 200 and verified.json()["hint"]["status"] == "verified"


def test_delete_is_soft_and_needs_the_revision(people, photo, client_for):
    client = client_for(people.curator)
    hint_id = post(client, photo, RED).json()["hint"]["id"]
    assert client.delete(f"/api/hints/{hint_id}/").status_code == 400
    response = client.delete(f"/api/hints/{hint_id}/?revision=1")
    assert response.status_code == 200 and response.json()["hint"]["deleted"]
    assert client.get(f"/api/photos/{photo.pk}/hints/").json()["hints"] == []
    with_deleted = client.get(f"/api/photos/{photo.pk}/hints/?include_deleted=1").json()["hints"]
    assert [h["id"] for h in with_deleted] == [hint_id]
    assert Hint.objects.filter(pk=hint_id).exists()


def test_the_event_log_lists_changes_since_a_revision(people, photo, client_for):
    client = client_for(people.curator)
    hint_id = post(client, photo, RED).json()["hint"]["id"]
    patch(client, hint_id, {"revision": 1, "color": "#123456"})
    client.delete(f"/api/hints/{hint_id}/?revision=2")
    log = client_for(people.viewer).get(f"/api/photos/{photo.pk}/hint-events/?since=1").json()
    assert log["room_revision"] == 3
    assert [(e["type"], e["action"], e["room_revision"]) for e in log["events"]] == [
        ("hint.updated", "update", 2),
        ("hint.deleted", "delete", 3),
    ]
    assert log["events"][0]["by"]["username"] == "curator" and log["events"][0]["hint"]["color"] == "#123456"
    assert client_for(people.outsider).get(f"/api/photos/{photo.pk}/hint-events/").status_code == 404
    other = post(client, photo, {**RED, "x": 0.9}).json()["hint"]["id"]
    one = client.get(f"/api/photos/{photo.pk}/hint-events/?hint={other}").json()["events"]
    assert [(e["hint"]["id"], e["action"]) for e in one] == [(other, "add")]
    assert client.get(f"/api/photos/{photo.pk}/hint-events/?since=x").status_code == 400


def test_undo_over_rest(people, photo, client_for):
    client = client_for(people.curator)
    hint_id = post(client, photo, RED).json()["hint"]["id"]
    patch(client, hint_id, {"revision": 1, "x": 0.9})
    response = client.post(f"/api/photos/{photo.pk}/hints/undo/", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["hint"]["x"] == 0.42
    assert HintEvent.objects.last().undo_of.room_revision == 2
    assert (
        client_for(people.viewer)
        .post(f"/api/photos/{photo.pk}/hints/undo/", {}, content_type="application/json")
        .status_code
        == 403
    )


def test_hint_detail_is_readable_by_members(people, photo, client_for):
    hint_id = post(client_for(people.curator), photo, RED).json()["hint"]["id"]
    assert client_for(people.viewer).get(f"/api/hints/{hint_id}/").json()["color"] == "#b22222"
    assert client_for(people.outsider).get(f"/api/hints/{hint_id}/").status_code == 404


def test_a_reference_image_joins_the_evidence(people, photo, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import gray_image_bytes

    client = client_for(people.curator)
    hint_id = post(client, photo, RED).json()["hint"]["id"]
    url = f"/api/hints/{hint_id}/evidence-image/"
    image = SimpleUploadedFile("uniform.png", gray_image_bytes(16, 16), content_type="image/png")
    response = client.post(url, {"image": image, "revision": 1})
    assert response.status_code == 200, response.content
    body = response.json()["hint"]
    assert body["revision"] == 2 and body["evidence_image"].endswith(".png")
    assert Hint.objects.get().evidence_image.read() == gray_image_bytes(16, 16)
    junk = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    bad = client.post(url, {"image": junk, "revision": 2})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["image"]
    stale = client.post(url, {"image": SimpleUploadedFile("u.png", gray_image_bytes(8, 8)), "revision": 1})
    assert stale.status_code == 409
    viewer = client_for(people.viewer).post(
        url, {"image": SimpleUploadedFile("u.png", gray_image_bytes(8, 8)), "revision": 2}
    )
    assert viewer.status_code == 403
    assert Hint.objects.get().revision == 2


def test_a_curators_evidence_image_is_refused_with_a_reason_when_it_is_not_one_we_keep(
    people, photo, client_for
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    client = client_for(people.curator)
    hint_id = post(client, photo, RED).json()["hint"]["id"]
    url = f"/api/hints/{hint_id}/evidence-image/"
    gif = io.BytesIO()
    Image.new("L", (8, 8)).save(gif, format="GIF")
    huge = b"\x89PNG" + b"\0" * (10 * 1024 * 1024)
    cases = [
        (gif.getvalue(), "invalid", "use JPEG, PNG, WebP or TIFF, not GIF", "unsupported format"),
        (b"not an image", "invalid", "not a readable image", "not a readable image"),
        (huge, "too_large", "evidence images are at most 10 MiB", "too large"),
    ]
    for data, code, message, field in cases:
        response = client.post(url, {"image": SimpleUploadedFile("e.png", data), "revision": 1})
        assert response.status_code == 400
        assert response.json()["error"] == {"code": code, "message": message, "fields": {"image": [field]}}
    missing = client.post(url, {"revision": 1})
    assert missing.json()["error"]["fields"] == {"image": ["this field is required"]}
    assert Hint.objects.get().revision == 1
