"""A reviewer is told when a version lacks the current evidence, and is offered a re-render that has it."""

import pytest

from colorize.models import Hint
from colorize.services import hints as hint_services
from tests.test_run_support import make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer", "no_previews")]

RED = {"x": 0.4, "y": 0.3, "color": "#b22222", "reach": "object"}


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.curator)


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _verify(people, hint: Hint) -> None:
    hint_services.do_verify_hint(
        people.reviewer, hint, hint.revision, evidence={"evidence_source": "Signal Corps caption, 1951"}
    )


def _queue_item(client, version):
    results = client.get("/api/reviews/").json()["results"]
    return next(item for item in results if item["id"] == version.pk)


def test_a_reviewer_sees_in_the_queue_that_a_version_was_rendered_with_no_verified_hint(
    people, photo, client_for
):
    hint_services.do_add_hint(people.curator, photo, RED)
    version = run_now(people.curator, photo, {"hints": "all"}).version
    _post(client_for(people.curator), f"/api/versions/{version.pk}/submit/")
    item = _queue_item(client_for(people.reviewer), version)
    warning = item["evidence_warning"]
    assert warning["codes"] == ["no_verified_hint"]
    assert warning["rerender"]["url"] == f"/api/photos/{photo.pk}/runs/"
    assert warning["rerender"]["body"]["hints"] == "all"


def test_a_reviewer_approving_a_version_whose_hint_was_verified_later_is_told_and_can_rerender(
    people, photo, client_for
):
    hint = Hint.objects.get(pk=hint_services.do_add_hint(people.curator, photo, RED).hint["id"])
    version = run_now(people.curator, photo, {"hints": "all"}).version
    _verify(people, hint)
    hint.refresh_from_db()
    assert hint.verified_at > version.created_at
    _post(client_for(people.curator), f"/api/versions/{version.pk}/submit/")
    queued = _queue_item(client_for(people.reviewer), version)["evidence_warning"]
    assert queued["codes"] == ["no_verified_hint", "verified_since_render"]
    assert queued["hints_verified_since"] == [hint.pk]
    approved = _post(client_for(people.reviewer), f"/api/versions/{version.pk}/approve/")
    assert approved.status_code == 201
    assert approved.json()["evidence_warning"]["codes"] == ["no_verified_hint", "verified_since_render"]
    # the offered re-render, requested as offered, renders a version that carries the evidence
    rerender = queued["rerender"]
    response = _post(client_for(people.curator), rerender["url"], rerender["body"])
    assert response.status_code == 202, response.content
    from colorize.services.runs.execute import execute_run

    execute_run(response.json()["id"])
    from colorize.models import Run

    fresh = Run.objects.get(pk=response.json()["id"]).version
    assert [h["status"] for h in fresh.hints] == ["verified"] and fresh.hints[0]["reach"] == "object"
    _post(client_for(people.curator), f"/api/versions/{fresh.pk}/submit/")
    assert _queue_item(client_for(people.owner), fresh)["evidence_warning"] is None


def test_a_version_rendered_after_its_hints_were_verified_has_no_warning(people, photo, client_for):
    hint = Hint.objects.get(pk=hint_services.do_add_hint(people.curator, photo, RED).hint["id"])
    _verify(people, hint)
    version = run_now(people.curator, photo).version
    assert version.hints[0]["status"] == "verified"
    _post(client_for(people.curator), f"/api/versions/{version.pk}/submit/")
    assert _queue_item(client_for(people.reviewer), version)["evidence_warning"] is None
    approved = _post(client_for(people.reviewer), f"/api/versions/{version.pk}/approve/")
    assert approved.status_code == 201 and approved.json()["evidence_warning"] is None


def test_a_curator_may_attach_evidence_to_a_suggested_hint_but_not_verify_it(people, photo, client_for):
    client = client_for(people.curator)
    hint_id = hint_services.do_add_hint(people.curator, photo, RED).hint["id"]
    response = client.patch(
        f"/api/hints/{hint_id}/",
        {
            "revision": 1,
            "evidence_note": "빨간 약장: 1951년 사진 설명",
            "evidence_url": "https://archive.example/42",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["hint"]["evidence_note_lang"] == "ko"
    refused = client.patch(
        f"/api/hints/{hint_id}/", {"revision": 2, "status": "verified"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert Hint.objects.get().status == "suggested" and Hint.objects.get().verified_at is None


def test_the_exported_provenance_says_each_hints_reach_and_a_fence(people, photo, client_for):
    import json

    hint = Hint.objects.get(pk=hint_services.do_add_hint(people.curator, photo, RED).hint["id"])
    _verify(people, hint)
    hint_services.do_add_hint(people.curator, photo, {"shape": "fence", "points": [[0.6, 0.0], [0.6, 1.0]]})
    version = run_now(people.curator, photo, {"hints": "all"}).version
    _post(client_for(people.curator), f"/api/versions/{version.pk}/submit/")
    assert _post(client_for(people.reviewer), f"/api/versions/{version.pk}/approve/").status_code == 201
    response = client_for(people.viewer).get(f"/api/versions/{version.pk}/export/?format=json")
    assert response.status_code == 200
    items = json.loads(response.content)["hints"]["items"]
    assert sorted((h["shape"], h["reach"], h["status"]) for h in items) == [
        ("fence", "wide", "suggested"),
        ("point", "object", "verified"),
    ]
