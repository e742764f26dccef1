"""Hint services: validation, roles, stale writes, idempotent retries, undo, the event log, after-commit events."""

import pytest
from rest_framework.exceptions import PermissionDenied

from archive.access import NotFound
from colorize.models.hints import Hint, HintEvent, hex_to_lab
from colorize.services import hints as services
from config.api import ServiceError
from tests.factories import make_photo

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_previews"), pytest.mark.embedded]

RED = {"x": 0.42, "y": 0.31, "color": "#B22222", "radius": 0.02}


@pytest.fixture
def photo(people):
    return make_photo(people.collection)


def test_it_adds_a_point_hint_with_its_lab_value_and_logs_it(people, photo):
    change = services.do_add_hint(people.curator, photo, RED, request_id="r1")
    hint = Hint.objects.get(pk=change.hint["id"])
    assert (hint.x, hint.y, hint.color, hint.radius, hint.shape) == (0.42, 0.31, "#b22222", 0.02, "point")
    assert hint.revision == 1 and hint.status == "suggested" and hint.created_by == people.curator
    assert hint.lab_l == pytest.approx(39.12, abs=0.05) and hint.lab_a == pytest.approx(55.91, abs=0.05)
    event = HintEvent.objects.get()
    assert (event.room_revision, event.action, event.kind, event.actor) == (
        1,
        "add",
        "hint.added",
        people.curator,
    )
    assert event.before is None and event.after["color"] == "#b22222" and event.request_id == "r1"


def test_lab_of_white_and_black_is_the_reference():
    assert hex_to_lab("#ffffff") == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert hex_to_lab("#000000") == pytest.approx((0.0, 0.0, 0.0), abs=0.01)


def test_a_stroke_keeps_its_polyline_and_starts_at_its_first_point(people, photo):
    data = {
        "shape": "stroke",
        "points": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.2]],
        "width": 0.03,
        "color": "#336699",
    }
    hint = services.do_add_hint(people.curator, photo, data).hint
    assert hint["shape"] == "stroke" and (hint["x"], hint["y"]) == (0.1, 0.2)
    assert hint["points"] == [[0.1, 0.2], [0.3, 0.4], [0.5, 0.2]] and hint["width"] == 0.03


@pytest.mark.parametrize(
    "data, field",
    [
        ({"x": 1.5, "y": 0.1, "color": "#ffffff"}, "x"),
        ({"x": 0.5, "y": -0.1, "color": "#ffffff"}, "y"),
        ({"x": float("nan"), "y": 0.1, "color": "#ffffff"}, "x"),
        ({"x": True, "y": 0.1, "color": "#ffffff"}, "x"),
        ({"x": 0.5, "y": 0.1, "color": "red"}, "color"),
        ({"x": 0.5, "y": 0.1, "color": "#12345g"}, "color"),
        ({"x": 0.5, "y": 0.1}, "color"),
        ({"y": 0.1, "color": "#ffffff"}, "x"),
        ({"x": 0.5, "y": 0.1, "color": "#ffffff", "radius": 0}, "radius"),
        ({"x": 0.5, "y": 0.1, "color": "#ffffff", "radius": 0.9}, "radius"),
        ({"x": 0.5, "y": 0.1, "color": "#ffffff", "status": "verified"}, "status"),
        ({"shape": "stroke", "points": [[0.1, 0.1]], "color": "#ffffff"}, "points"),
        ({"shape": "stroke", "points": [[0.1, 0.1], [2, 0.1]], "color": "#ffffff"}, "points"),
        ({"shape": "blob", "x": 0.5, "y": 0.5, "color": "#ffffff"}, "shape"),
        ({"x": 0.5, "y": 0.5, "color": "#ffffff", "evidence_url": "javascript:alert(1)"}, "evidence_url"),
    ],
)
def test_it_rejects_invalid_hints_and_changes_nothing(people, photo, data, field):
    with pytest.raises(ServiceError) as caught:
        services.do_add_hint(people.curator, photo, data)
    assert caught.value.code == "invalid" and field in caught.value.fields
    assert not Hint.objects.exists() and not HintEvent.objects.exists()


def test_viewers_and_outsiders_cannot_add(people, photo):
    with pytest.raises(PermissionDenied):
        services.do_add_hint(people.viewer, photo, RED)
    with pytest.raises(NotFound):
        services.do_add_hint(people.outsider, photo, RED)
    assert not Hint.objects.exists()


def test_a_stale_write_is_rejected_with_the_current_hint(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    services.do_update_hint(people.owner, hint, {"x": 0.5}, expected_revision=1)
    with pytest.raises(services.StaleRevision) as caught:
        services.do_update_hint(people.curator, hint, {"color": "#000000"}, expected_revision=1)
    assert caught.value.status_code == 409
    assert caught.value.current["revision"] == 2 and caught.value.current["x"] == 0.5
    hint.refresh_from_db()
    assert hint.color == "#b22222" and hint.revision == 2


def test_a_write_must_name_a_revision(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    with pytest.raises(ServiceError) as caught:
        services.do_delete_hint(people.curator, hint, expected_revision=None)
    assert "revision" in caught.value.fields


def test_a_retried_request_id_is_applied_once(people, photo):
    first = services.do_add_hint(people.curator, photo, RED, request_id="c1-17")
    again = services.do_add_hint(people.curator, photo, RED, request_id="c1-17")
    assert again.duplicate and not first.duplicate
    assert again.hint["id"] == first.hint["id"] and again.room_revision == first.room_revision
    assert Hint.objects.count() == 1 and HintEvent.objects.count() == 1
    # The same request id from another person is their own request.
    other = services.do_add_hint(people.reviewer, photo, RED, request_id="c1-17")
    assert not other.duplicate and Hint.objects.count() == 2


def test_verifying_takes_a_reviewer_and_evidence(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    with pytest.raises(PermissionDenied):
        services.do_verify_hint(people.curator, hint, 1, evidence={"evidence_note": "seen it"})
    with pytest.raises(ServiceError) as caught:
        services.do_verify_hint(people.reviewer, hint, 1)
    assert caught.value.code == "evidence_required"
    change = services.do_verify_hint(
        people.reviewer, hint, 1, evidence={"evidence_source": "Regimental colours, Army Museum inv. 1951-3"}
    )
    assert change.hint["status"] == "verified" and change.hint["verified_by"] == "reviewer"
    assert change.hint["verified_at"] and change.event.action == "verify"


def test_curators_cannot_change_a_verified_hint_and_reviewer_recolouring_unverifies_it(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    services.do_verify_hint(people.owner, hint, 1, evidence={"evidence_note": "uniform regulation"})
    with pytest.raises(PermissionDenied):
        services.do_update_hint(people.curator, hint, {"color": "#000000"}, 2)
    with pytest.raises(PermissionDenied):
        services.do_delete_hint(people.curator, hint, 2)
    note = services.do_update_hint(people.reviewer, hint, {"evidence_note": "uniform regulation 1950"}, 2)
    assert note.hint["status"] == "verified"
    with pytest.raises(ServiceError) as caught:
        services.do_update_hint(people.reviewer, hint, {"evidence_note": ""}, 3)
    assert caught.value.code == "evidence_required"
    moved = services.do_update_hint(people.reviewer, hint, {"color": "#8b0000"}, 3)
    assert moved.hint["status"] == "suggested" and moved.hint["verified_by"] is None


def test_delete_is_soft_and_logged(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    change = services.do_delete_hint(people.curator, hint, 1, request_id="d1")
    assert change.event.kind == "hint.deleted" and change.hint["deleted"]
    assert Hint.objects.filter(pk=hint.pk).exists() and not Hint.objects.live().exists()
    assert [e["type"] for e in services.events_since(photo.pk, 0)] == ["hint.added", "hint.deleted"]
    with pytest.raises(ServiceError) as caught:
        services.do_update_hint(people.curator, hint, {"x": 0.1}, 2)
    assert caught.value.code == "deleted"


def test_undo_reverts_the_users_last_change_by_appending_an_event(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    services.do_update_hint(people.curator, hint, {"x": 0.9, "color": "#00ff00"}, 1)
    undone = services.do_undo(people.curator, photo)
    assert undone.event.kind == "hint.updated" and undone.event.undo_of.room_revision == 2
    assert (undone.hint["x"], undone.hint["color"], undone.hint["revision"]) == (0.42, "#b22222", 3)
    undone_add = services.do_undo(people.curator, photo)
    assert undone_add.event.kind == "hint.deleted" and not Hint.objects.live().exists()
    with pytest.raises(ServiceError) as caught:
        services.do_undo(people.curator, photo)
    assert caught.value.code == "nothing_to_undo"
    assert HintEvent.objects.count() == 4  # append-only: nothing was rewritten


def test_undo_of_a_delete_restores_and_undo_refuses_when_the_hint_moved_on(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    deleted = services.do_delete_hint(people.curator, hint, 1)
    restored = services.do_undo(people.owner, photo, event_revision=deleted.room_revision)
    assert restored.event.kind == "hint.added" and not restored.hint["deleted"]
    with pytest.raises(ServiceError) as caught:
        services.do_undo(people.owner, photo, event_revision=deleted.room_revision)
    assert caught.value.code == "already_undone"
    services.do_update_hint(people.reviewer, hint, {"x": 0.7}, restored.hint["revision"])
    with pytest.raises(services.StaleRevision) as caught:
        services.do_undo(people.curator, photo, event_revision=1)  # the add: the reviewer's move stands
    assert caught.value.current["x"] == 0.7
    assert Hint.objects.live().filter(pk=hint.pk).exists()


def test_undo_of_a_verification_needs_a_reviewer(people, photo):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    verified = services.do_verify_hint(people.reviewer, hint, 1, evidence={"evidence_note": "caption"})
    with pytest.raises(PermissionDenied):
        services.do_undo(people.curator, photo, event_revision=verified.room_revision)
    back = services.do_undo(people.reviewer, photo)
    assert back.hint["status"] == "suggested" and back.hint["evidence_note"] == ""


def test_room_revisions_increase_by_one_per_change_per_photo(people, photo):
    other = make_photo(people.collection, seed=1)
    for i in range(3):
        services.do_add_hint(people.curator, photo, {**RED, "x": i / 10})
    services.do_add_hint(people.curator, other, RED)
    assert list(HintEvent.objects.filter(photo=photo).values_list("room_revision", flat=True)) == [1, 2, 3]
    assert services.room_revision(other.pk) == 1
    assert [e["room_revision"] for e in services.events_since(photo.pk, 1)] == [2, 3]


def test_events_are_broadcast_only_after_commit(
    people, photo, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(services.events, "send_now", lambda photo_id, event: sent.append((photo_id, event)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.do_add_hint(people.curator, photo, RED, request_id="x")
        assert sent == []
    for callback in callbacks:
        callback()
    assert [(pid, e["type"], e["room_revision"], e["request_id"]) for pid, e in sent] == [
        (photo.pk, "hint.added", 1, "x")
    ]


def test_a_failed_write_broadcasts_nothing(people, photo, django_capture_on_commit_callbacks):
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(services.StaleRevision):
            services.do_update_hint(people.curator, hint, {"x": 0.1}, 7)
    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_to_one_photo_are_serialized_without_gaps(people, photo, settings):
    """Real concurrency needs a server database: on PostgreSQL the photo row lock serializes the writers."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers itself; the row lock is exercised on PostgreSQL")
    hint = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    barrier = threading.Barrier(6)
    results, errors = [], []

    def writer(n):
        try:
            barrier.wait()
            if n % 2:
                results.append(
                    services.do_add_hint(people.curator, photo, {**RED, "x": n / 10}).room_revision
                )
            else:
                try:  # all even writers name revision 1: exactly one may win
                    services.do_update_hint(people.owner, hint, {"y": n / 10}, expected_revision=1)
                    results.append("updated")
                except services.StaleRevision:
                    results.append("stale")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results.count("updated") == 1 and results.count("stale") == 2
    assert list(HintEvent.objects.filter(photo=photo).values_list("room_revision", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert Hint.objects.get(pk=hint.pk).revision == 2


def test_hints_hand_the_model_exactly_what_was_placed(people, photo):
    pytest.importorskip("ml")
    import ml

    point = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, RED).hint["id"])
    stroke_data = {"shape": "stroke", "points": [[0.1, 0.2], [0.3, 0.4]], "width": 0.02, "color": "#336699"}
    stroke = Hint.objects.get(pk=services.do_add_hint(people.curator, photo, stroke_data).hint["id"])
    services.do_verify_hint(people.reviewer, point, 1, evidence={"evidence_note": "regimental colour"})
    point.refresh_from_db()
    as_ml = point.to_ml()
    assert isinstance(as_ml, ml.Hint)
    assert (as_ml.x, as_ml.y, as_ml.color, as_ml.radius, as_ml.points, as_ml.verified) == (
        0.42,
        0.31,
        "#b22222",
        0.02,
        None,
        True,
    )
    as_ml = stroke.to_ml()
    assert (as_ml.x, as_ml.y, list(map(list, as_ml.points)), as_ml.width, as_ml.verified) == (
        0.1,
        0.2,
        [[0.3, 0.4]],
        0.02,
        False,
    )
