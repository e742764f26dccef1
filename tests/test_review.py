"""Review: curators submit, reviewers (never the author) approve or reject; approval publishes and feeds the adaptations."""

import numpy as np
import pytest

from accounts.models import Role
from archive.models import PhotoStatus
from colorize.models import Review
from colorize.services import review as review_services
from tests.factories import UserFactory, add_member
from tests.test_run_support import make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.curator)


@pytest.fixture
def version(people, photo):
    return run_now(people.curator, photo).version


def _post(client, version, action, comment=""):
    return client.post(
        f"/api/versions/{version.pk}/{action}/", {"comment": comment}, content_type="application/json"
    )


def test_submit_then_approve_publishes_the_version(people, photo, version, client_for):
    response = _post(client_for(people.curator), version, "submit", "colours from the uniform guide")
    assert response.status_code == 201 and response.json()["photo_status"] == "in_review"
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.IN_REVIEW
    response = _post(client_for(people.reviewer), version, "approve", "matches the sources")
    assert response.status_code == 201, response.content
    assert response.json()["version"]["published"] is True
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED
    assert review_services.published_version(photo) == version
    history = client_for(people.viewer).get(f"/api/versions/{version.pk}/reviews/").json()["results"]
    assert [(r["decision"], r["by"]) for r in history] == [("submitted", "curator"), ("approved", "reviewer")]


def test_the_author_may_not_approve_their_own_version_four_eyes(people, photo, client_for):
    mine = run_now(people.reviewer, photo).version  # a reviewer made it
    _post(client_for(people.curator), mine, "submit")
    response = _post(client_for(people.reviewer), mine, "approve")
    assert response.status_code == 403 and response.json()["error"]["code"] == "four_eyes"
    assert _post(client_for(people.owner), mine, "approve").status_code == 201


@pytest.mark.parametrize("who, status", [("curator", 403), ("viewer", 403), ("outsider", 404)])
def test_only_reviewers_and_owners_decide(people, version, client_for, who, status):
    _post(client_for(people.curator), version, "submit")
    assert _post(client_for(getattr(people, who)), version, "approve").status_code == status
    assert _post(client_for(getattr(people, who)), version, "reject", "no").status_code == status
    assert version.review_state == "submitted"


@pytest.mark.parametrize("who, status", [("viewer", 403), ("outsider", 404)])
def test_viewers_and_outsiders_may_not_submit(people, version, client_for, who, status):
    assert _post(client_for(getattr(people, who)), version, "submit").status_code == status
    assert not Review.objects.exists()


def test_a_version_must_be_submitted_before_a_decision(people, version, client_for):
    response = _post(client_for(people.reviewer), version, "approve")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state"


def test_a_rejection_needs_a_reason_and_can_be_followed_by_a_resubmission(people, photo, version, client_for):
    _post(client_for(people.curator), version, "submit")
    assert _post(client_for(people.reviewer), version, "reject").status_code == 400
    assert _post(client_for(people.reviewer), version, "reject", "the flag is wrong").status_code == 201
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.IN_PROGRESS and review_services.published_version(photo) is None
    assert _post(client_for(people.curator), version, "submit", "fixed the source").status_code == 201
    assert _post(client_for(people.curator), version, "submit").status_code == 409  # already submitted
    assert [r.decision for r in version.reviews.order_by("created_at", "id")] == [
        "submitted",
        "rejected",
        "submitted",
    ]


def test_a_later_approval_supersedes_the_published_version(people, photo, version):
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    newer = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, newer)
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED  # the earlier approval stays published meanwhile
    review_services.do_approve(people.owner, newer, {"confirm_replace": True, "reason": "better sky"})
    assert review_services.published_version(photo) == newer
    assert version.review_state == "approved"  # its decision is kept, only no longer published


def test_the_review_queue_lists_submitted_versions_for_reviewers_but_not_their_own(people, photo, client_for):
    theirs = run_now(people.curator, photo).version
    own = run_now(people.reviewer, photo).version
    unsubmitted = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, theirs, {"comment": "please check"})
    review_services.do_submit(people.curator, own)
    other_collection_reviewer = UserFactory(username="elsewhere")
    response = client_for(people.reviewer).get("/api/reviews/?pending=1")
    assert response.status_code == 200
    items = response.json()["results"]
    assert [i["id"] for i in items] == [theirs.pk]
    assert items[0]["submitted_by"] == "curator" and items[0]["submit_comment"] == "please check"
    assert unsubmitted.pk not in [i["id"] for i in items]
    owner_queue = client_for(people.owner).get("/api/reviews/?pending=1").json()["results"]
    assert {i["id"] for i in owner_queue} == {theirs.pk, own.pk}
    assert client_for(other_collection_reviewer).get("/api/reviews/").json()["results"] == []
    assert client_for(people.curator).get("/api/reviews/").json()["results"] == []
    assert client_for(None).get("/api/reviews/").status_code in (401, 403)


def test_curators_attach_shared_reference_photos_that_feed_the_era_adaptation(
    people, client_for, django_capture_on_commit_callbacks
):
    import io

    from PIL import Image

    from colorize.models import Adaptation

    buffer = io.BytesIO()
    Image.fromarray(np.full((40, 40, 3), (30, 90, 40), np.uint8)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "uniform.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people.curator).post(
            "/api/references/",
            {"image": buffer, "era": "korean-war", "title": "Uniform colour plate", "source": "Museum X"},
        )
    assert response.status_code == 201, response.content
    assert response.json()["collection"] is None
    # one reference is too few: the era's adaptation is recorded as not usable (docs/adaptation.md)
    row = Adaptation.objects.get(scope="context:korean-war/*")
    assert row.n_references == 1 and not row.passed
    assert client_for(people.viewer).post("/api/references/", {"era": "korean-war"}).status_code == 403
    bad = client_for(people.curator).post("/api/references/", {"era": "stone-age"})
    assert bad.status_code == 400 and {"era", "image"} <= set(bad.json()["error"]["fields"])


def test_a_collection_owner_from_elsewhere_is_no_reviewer_here(people, version, client_for):
    stranger = UserFactory(username="stranger")
    add_member(people.collection, stranger, Role.VIEWER)
    review_services.do_submit(people.curator, version)
    assert _post(client_for(stranger), version, "approve").status_code == 403


def test_the_published_versions_of_many_photos_are_each_ones_latest_approval(people, photo, version):
    from colorize.access import published_versions

    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    newer = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, newer)
    review_services.do_approve(people.owner, newer, {"confirm_replace": True, "reason": "better sky"})
    other = make_photo(people.collection, people.curator, seed=1)
    other_version = run_now(people.curator, other).version
    review_services.do_submit(people.curator, other_version)
    review_services.do_approve(people.reviewer, other_version)
    unpublished = make_photo(people.collection, people.curator, seed=2)
    run_now(people.curator, unpublished)
    assert published_versions([photo.pk, other.pk, unpublished.pk]) == {
        photo.pk: newer,
        other.pk: other_version,
    }


def test_a_curators_comment_and_a_reviewers_reason_are_checked_like_every_text_field(
    people, version, client_for
):
    curator = client_for(people.curator)
    response = curator.post(
        f"/api/versions/{version.pk}/submit/", {"comment": 5}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"comment": ["must be a string"]}
    response = _post(curator, version, "submit", "x" * 5001)
    assert response.json()["error"]["message"] == "comment: at most 5000 characters"
    assert _post(curator, version, "submit", "x" * 5000).status_code == 201
    response = client_for(people.owner).post(
        f"/api/versions/{version.pk}/approve/",
        {"confirm_replace": True, "reason": ["a list"]},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["error"]["fields"] == {
        "reason": ["must be a string"]
    }
