"""The public face's annotations (issue 23, item 6): readers who are not members of a public collection see only
the hints the published version used that were verified, with their evidence, and a username only where that
person chose to be named (PATCH /api/me/ {"named_publicly": true}); members keep the live working hints."""

import pytest

from archive.models import Visibility
from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture
def public_photo(people):
    people.collection.visibility = Visibility.PUBLIC
    people.collection.save()
    return make_photo(people.collection, people.curator, title="Station")


def annotations(client, photo) -> list[dict]:
    response = client.get(f"/api/photos/{photo.pk}/annotations/")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def colours(items) -> set[str]:
    return {b["value"] for a in items for b in a["body"] if b["purpose"] == "tagging"}


def publish(people, photo):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    return version


def test_an_anonymous_reader_sees_no_hints_of_a_photo_with_nothing_published(
    people, public_photo, client_for
):
    add_hint(public_photo, people.curator, 0.5, 0.5, "#b22222", verified_by=people.reviewer)
    assert annotations(client_for(None), public_photo) == []


def test_an_anonymous_reader_sees_only_the_verified_hints_the_published_version_used(
    people, public_photo, client_for
):
    add_hint(
        public_photo,
        people.curator,
        0.5,
        0.25,
        "#b22222",
        verified_by=people.reviewer,
        evidence_note="flag, 1948",
    )
    add_hint(public_photo, people.curator, 0.2, 0.2, "#20a040", evidence_note="a guess")  # unverified
    publish(people, public_photo)
    add_hint(
        public_photo, people.curator, 0.8, 0.8, "#3050c0", verified_by=people.reviewer
    )  # after publication
    items = annotations(client_for(None), public_photo)
    assert colours(items) == {"#b22222"}
    bodies = {b["purpose"]: b["value"] for b in items[0]["body"]}
    assert bodies["describing"] == "flag, 1948" and bodies["assessing"] == "verified"
    assert colours(annotations(client_for(people.outsider), public_photo)) == {"#b22222"}
    # members still see the live working hints
    assert colours(annotations(client_for(people.curator), public_photo)) == {"#b22222", "#20a040", "#3050c0"}


def test_usernames_show_in_public_only_for_people_who_chose_to_be_named(people, public_photo, client_for):
    add_hint(public_photo, people.curator, 0.5, 0.5, "#b22222", verified_by=people.reviewer)
    add_hint(public_photo, people.reviewer, 0.2, 0.2, "#20a040", verified_by=people.reviewer)
    publish(people, public_photo)
    anonymous = client_for(None)
    assert all("creator" not in a for a in annotations(anonymous, public_photo))
    response = client_for(people.reviewer).patch(
        "/api/me/", {"named_publicly": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"username": "reviewer", "named_publicly": True}
    named = {a.get("creator", {}).get("nickname") for a in annotations(anonymous, public_photo)}
    assert named == {"reviewer", None}  # the curator did not choose to be named
    member_view = {a["creator"]["nickname"] for a in annotations(client_for(people.viewer), public_photo)}
    assert member_view == {"curator", "reviewer"}


def test_a_person_reads_and_changes_only_their_own_setting(people, client_for):
    assert client_for(people.curator).get("/api/me/").json() == {
        "username": "curator",
        "named_publicly": False,
    }
    assert client_for(None).get("/api/me/").status_code in (401, 403)
    response = client_for(people.curator).patch(
        "/api/me/", {"named_publicly": "maybe"}, content_type="application/json"
    )
    assert response.status_code == 400
