"""Versions: immutable, numbered with lineage, listed, compared, and their hints restorable."""

import pytest

from colorize.models import Hint, HintEvent, ImmutableVersionError, Version
from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.curator)


def test_versions_are_numbered_per_photo_with_their_parent(people, photo):
    other = make_photo(people.collection, people.curator, seed=5)
    first = run_now(people.curator, photo).version
    second = run_now(people.curator, photo).version
    elsewhere = run_now(people.curator, other).version
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.parent is None and second.parent == first and elsewhere.parent is None


def test_a_version_can_be_neither_edited_nor_deleted(people, photo):
    version = run_now(people.curator, photo).version
    version.model_name = "something else"
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        version.delete()
    with pytest.raises(ImmutableVersionError):
        Version.objects.filter(pk=version.pk).update(model_name="x")
    with pytest.raises(ImmutableVersionError):
        Version.objects.filter(pk=version.pk).delete()
    version.refresh_from_db()
    assert version.model_name != "something else"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_api_offers_no_way_to_change_a_version(people, photo, client_for, method):
    version = run_now(people.curator, photo).version
    response = getattr(client_for(people.owner), method)(
        f"/api/versions/{version.pk}/", {"model_name": "x"}, content_type="application/json"
    )
    assert response.status_code == 405
    assert Version.objects.get(pk=version.pk).model_name == version.model_name


def test_members_list_every_version_with_urls_and_metrics(people, photo, client_for):
    add_hint(photo, people.curator, 0.8, 0.8, "#6080c0", verified_by=people.reviewer)
    run_now(people.curator, photo)
    run_now(people.curator, photo, {"hints": "all"})
    body = client_for(people.viewer).get(f"/api/photos/{photo.pk}/versions/").json()
    assert [v["number"] for v in body["results"]] == [2, 1]
    first = body["results"][1]
    assert first["result"].startswith("/media/versions/") and first["preview"] and first["uncertainty"]
    assert first["model"]["name"] and first["hint_count"] == 1 and first["verified_hint_count"] == 1
    assert "duration_s" in first["metrics"] and first["review_state"] == "draft"
    detail = client_for(people.viewer).get(f"/api/versions/{first['id']}/").json()
    assert detail["hints"][0]["verified_by"] == "reviewer" and detail["reviews"] == []


def test_outsiders_see_no_versions(people, photo, client_for):
    version = run_now(people.curator, photo).version
    assert client_for(people.outsider).get(f"/api/photos/{photo.pk}/versions/").status_code == 404
    assert client_for(people.outsider).get(f"/api/versions/{version.pk}/").status_code == 404


def test_readers_of_a_public_collection_see_only_the_published_version(people, photo, client_for):
    people.collection.visibility = "public"
    people.collection.save()
    draft = run_now(people.curator, photo).version
    published = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, published)
    review_services.do_approve(people.reviewer, published)
    anonymous = client_for(None)
    body = anonymous.get(f"/api/photos/{photo.pk}/versions/").json()
    assert [v["id"] for v in body["results"]] == [published.pk] and body["published_version"] == published.pk
    assert anonymous.get(f"/api/versions/{draft.pk}/").status_code == 404
    assert anonymous.get(f"/api/versions/{published.pk}/").status_code == 200


def test_compare_with_the_original_gives_both_images(people, photo, client_for):
    version = run_now(people.curator, photo).version
    body = client_for(people.viewer).get(f"/api/versions/{version.pk}/compare/?with=original").json()
    assert body["other"]["kind"] == "original" and body["other"]["sha256"] == photo.sha256
    assert body["other"]["original"].startswith("/media/originals/")
    assert body["this"]["preview"].endswith(".jpg")


def test_compare_two_versions_gives_metric_and_hint_differences(people, photo, client_for):
    add_hint(photo, people.curator, 0.8, 0.8, "#6080c0", verified_by=people.reviewer)
    first = run_now(people.curator, photo).version
    extra = add_hint(photo, people.curator, 0.2, 0.2, "#20a040")
    second = run_now(people.curator, photo, {"hints": "all"}).version
    body = client_for(people.viewer).get(f"/api/versions/{first.pk}/compare/?with={second.pk}").json()
    assert (
        body["this"]["image"] and body["other"]["image"] and body["this"]["image"] != body["other"]["image"]
    )
    assert body["hints"]["only_other"] == [extra.pk] and body["hints"]["only_this"] == []
    assert body["metrics"]["hint_count"] == {"this": 1, "other": 2, "delta": 1}


def test_compare_refuses_another_photos_version_and_nonsense(people, photo, client_for):
    version = run_now(people.curator, photo).version
    foreign = run_now(people.curator, make_photo(people.collection, people.curator, seed=4)).version
    client = client_for(people.viewer)
    assert client.get(f"/api/versions/{version.pk}/compare/?with={foreign.pk}").status_code == 400
    assert client.get(f"/api/versions/{version.pk}/compare/?with=banana").status_code == 400


def test_restoring_hints_appends_new_revisions_and_brings_deleted_hints_back(people, photo, client_for):
    from colorize.services import hints as hint_services

    moved = add_hint(photo, people.curator, 0.8, 0.8, "#6080c0")
    gone = add_hint(photo, people.curator, 0.2, 0.3, "#20a040")
    kept = add_hint(photo, people.curator, 0.5, 0.5, "#a02020")
    version = run_now(people.curator, photo, {"hints": "all"}).version
    hint_services.do_update_hint(people.curator, moved, {"x": 0.1, "color": "#000000"}, expected_revision=1)
    gone.refresh_from_db()
    hint_services.do_delete_hint(people.curator, gone, expected_revision=gone.revision)
    newer = add_hint(photo, people.curator, 0.9, 0.1, "#0000ff")
    events_before = HintEvent.objects.filter(photo=photo).count()

    response = client_for(people.curator).post(f"/api/versions/{version.pk}/restore-hints/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["updated"] == [moved.pk] and body["unchanged"] == [kept.pk] and len(body["added"]) == 1
    assert body["kept"] == [newer.pk] and Hint.objects.get(pk=newer.pk).deleted_at is None
    moved.refresh_from_db()
    assert (moved.x, moved.color, moved.revision) == (0.8, "#6080c0", 3)
    back = Hint.objects.get(pk=body["added"][0])
    assert (back.x, back.y, back.color, back.deleted_at) == (0.2, 0.3, "#20a040", None)
    gone.refresh_from_db()
    assert gone.deleted_at is not None  # the old one stays deleted: history is not rewritten
    assert HintEvent.objects.filter(photo=photo).count() == events_before + 2


@pytest.mark.parametrize("who, status", [("viewer", 403), ("outsider", 404)])
def test_only_curators_may_restore_hints(people, photo, client_for, who, status):
    version = run_now(people.curator, photo).version
    assert (
        client_for(getattr(people, who)).post(f"/api/versions/{version.pk}/restore-hints/").status_code
        == status
    )


def test_the_admin_shows_versions_and_adaptations_read_only(people, photo, client_for):
    version = run_now(people.curator, photo).version
    people.owner.is_staff = people.owner.is_superuser = True
    people.owner.save()
    admin = client_for(people.owner)
    assert admin.get("/admin/colorize/version/").status_code == 200
    page = admin.get(f"/admin/colorize/version/{version.pk}/change/")
    assert page.status_code == 200 and b'name="model_name"' not in page.content  # no editable field
    assert admin.post(f"/admin/colorize/version/{version.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Version.objects.filter(pk=version.pk).exists()
    assert admin.get("/admin/colorize/adaptation/").status_code == 200
    assert admin.get("/admin/colorize/adaptation/add/").status_code == 403
    assert admin.get("/admin/colorize/referencephoto/add/").status_code == 200


def test_listing_versions_takes_a_constant_number_of_queries(
    people, photo, client_for, django_assert_max_num_queries
):
    for _ in range(2):
        version = run_now(people.curator, photo).version
        review_services.do_submit(people.curator, version)
    client = client_for(people.viewer)
    client.get(f"/api/photos/{photo.pk}/versions/")  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(f"/api/photos/{photo.pk}/versions/")
    for _ in range(4):
        run_now(people.curator, photo)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(f"/api/photos/{photo.pk}/versions/").json()["results"]) == 6
