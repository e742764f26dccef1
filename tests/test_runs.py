"""Runs: request, lifecycle, progress events, cancel, failure, idempotence, batch, recovery, permissions."""

from datetime import timedelta

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from archive.models import Era, Photo, PhotoStatus, Situation
from colorize.models import Run, RunStatus, Version
from colorize.services import model
from colorize.services.runs import execute
from colorize.services.runs.execute import _claim, execute_run
from colorize.services.runs.record import RunOutcome, record_version
from colorize.services.runs.recovery import _take_back, recover_runs
from colorize.services.runs.request import do_create_batch, do_create_run
from tests.test_run_support import add_hint, make_photo, run_now

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer"), pytest.mark.embedded]


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.curator)


def _post_run(client, photo, body=None, **extra):
    return client.post(f"/api/photos/{photo.pk}/runs/", body or {}, content_type="application/json", **extra)


def test_a_curator_queues_a_run_that_finishes_with_one_version(
    people, photo, client_for, django_capture_on_commit_callbacks
):
    # An in-gamut colour at that pixel's lightness: it must come out in the stored 8-bit sRGB file.
    add_hint(photo, people.curator, 0.8, 0.8, "#6080c0", verified_by=people.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_run(client_for(people.curator), photo, {"hints": "verified"})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    run = Run.objects.get(pk=response.json()["id"])
    assert run.status == RunStatus.DONE and run.progress == 100 and run.attempts == 1
    assert run.started_at <= run.finished_at
    version = Version.objects.get(run=run)
    assert version.number == 1 and version.photo == photo
    assert (version.width, version.height) == (photo.width, photo.height)  # full resolution
    with version.result.open("rb") as handle, Image.open(handle) as image:
        assert image.size == (64, 48) and image.mode == "RGB"
    assert version.hint_count == 1 and version.hints[0]["color"] == "#6080c0"
    assert version.hints[0]["verified_by"] == "reviewer"
    assert version.model_name and version.model_checksum
    assert version.metrics["duration_s"] > 0
    assert version.metrics["verified_hint_chroma_error_max"] < 1.0  # measured on the stored PNG
    assert version.created_by == people.curator
    detail = client_for(people.viewer).get(f"/api/runs/{run.pk}/").json()
    assert detail["status"] == "done" and detail["version"] == version.pk and detail["progress"] == 100
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.IN_PROGRESS


def test_verified_mode_leaves_suggestions_out_and_all_mode_takes_them(people, photo):
    add_hint(photo, people.curator, 0.2, 0.2, "#1e50a0", verified_by=people.reviewer)
    add_hint(photo, people.curator, 0.8, 0.8, "#20a040")
    deleted = add_hint(photo, people.curator, 0.5, 0.5, "#ffff00")
    deleted.deleted_at = timezone.now()
    deleted.save()
    only_verified = run_now(people.curator, photo, {"hints": "verified"}).version
    every = run_now(people.curator, photo, {"hints": "all"}).version
    assert [h["color"] for h in only_verified.hints] == ["#1e50a0"]
    assert sorted(h["color"] for h in every.hints) == ["#1e50a0", "#20a040"]
    assert every.number == 2 and every.parent == only_verified


def test_the_version_snapshot_is_frozen_when_hints_change_later(people, photo):
    hint = add_hint(photo, people.curator, 0.3, 0.3, "#1e50a0", verified_by=people.reviewer)
    version = run_now(people.curator, photo).version
    hint.set_color("#00ff00")
    hint.revision += 1
    hint.save()
    version.refresh_from_db()
    assert version.hints[0]["color"] == "#1e50a0" and version.hints[0]["revision"] == 1


def test_running_the_same_job_twice_makes_one_version(people, photo):
    run = run_now(people.curator, photo)
    assert execute_run(run.pk) == RunStatus.DONE  # the duplicate finds the version and stops
    assert Version.objects.filter(run=run).count() == 1
    run.refresh_from_db()
    assert run.attempts == 1


def test_a_duplicate_delivery_during_a_live_claim_does_nothing_and_a_later_one_takes_over_a_dead_claim(
    people, photo
):
    run = do_create_run(people.curator, photo, {})
    claimed, _token = _claim(run.pk, "first-worker")
    assert claimed is not None
    assert execute_run(run.pk) == RunStatus.RUNNING  # live claim: hands off
    assert not Version.objects.filter(run=run).exists()
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))  # the worker died
    assert execute_run(run.pk) == RunStatus.DONE
    assert Version.objects.filter(run=run).count() == 1
    run.refresh_from_db()
    assert run.attempts == 2


def test_a_stale_claim_cannot_record_a_version_after_a_takeover(people, photo):
    run = do_create_run(people.curator, photo, {})
    old, old_token = _claim(run.pk, "old")
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert execute_run(run.pk) == RunStatus.DONE
    rgb = np.zeros((photo.height, photo.width, 3), np.uint8)
    late = record_version(
        RunOutcome(
            run=old,
            token=old_token,
            colorizer=model.get_colorizer(),
            result=type("R", (), {"uncertainty": None})(),
            rgb=rgb,
        ),
        [],
    )
    assert late is None and Version.objects.filter(photo=photo).count() == 1


def test_progress_events_reach_the_photo_room(people, photo):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    from colorize.services.events import group_name

    async_to_sync(layer.group_add)(group_name(photo.pk), channel)
    run = do_create_run(people.curator, photo, {})
    execute_run(run.pk)
    received = []
    while True:
        try:
            message = async_to_sync(_receive)(layer, channel)
        except TimeoutError:
            break
        received.append(message["event"])
    kinds = [e["type"] for e in received]
    assert "run.started" in kinds and "run.progress" in kinds
    progress = [e["run"]["progress"] for e in received if e["type"] == "run.progress"]
    assert progress == sorted(progress) and all(0 <= p < 100 for p in progress)


async def _receive(layer, channel):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=0.2)


def test_a_curator_cancels_a_queued_run_and_the_job_then_does_nothing(people, photo, client_for):
    run = do_create_run(people.curator, photo, {})
    response = client_for(people.curator).post(f"/api/runs/{run.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert execute_run(run.pk) == RunStatus.CANCELLED
    assert not Version.objects.filter(run=run).exists()
    again = client_for(people.curator).post(f"/api/runs/{run.pk}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_finished"


def test_cancelling_a_running_run_stops_the_model(people, photo, settings):
    """The cancel callback reads the run's status: a cancel during the model's work ends it, no version."""
    run = do_create_run(people.curator, photo, {})
    real = model.get_colorizer()

    class CancelsMidway:
        model_name, model_version, checksum = real.model_name, real.model_version, real.checksum

        def colorize(self, gray, **kw):
            def progress(fraction):
                kw["progress"](fraction)
                if fraction > 0:
                    Run.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED)

            return real.colorize(gray, **{**kw, "progress": progress})

    settings.COLORIZER = "tests.test_runs._cancels_midway"
    _FACTORY["c"] = CancelsMidway()
    assert execute_run(run.pk) == RunStatus.CANCELLED
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and not Version.objects.filter(run=run).exists()


_FACTORY: dict = {}


def _cancels_midway():
    return _FACTORY["c"]


def test_a_failing_model_fails_the_run_with_its_error_and_no_version(people, photo, settings):
    settings.COLORIZER = "tests.test_runs._missing_checkpoint"
    run = do_create_run(people.curator, photo, {})
    assert execute_run(run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "CheckpointError" in run.error and "no such file" in run.error
    assert run.finished_at is not None and not Version.objects.filter(run=run).exists()


def _missing_checkpoint():
    import ml

    return ml.Colorizer.load("/nonexistent/no such file.pt")


def test_a_corrupt_original_fails_the_run_and_loses_nothing(people, photo, settings):
    from pathlib import Path

    with open(photo.original.path, "wb") as handle:
        handle.write(b"not an image")
    files_before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    run = do_create_run(people.curator, photo, {})
    assert execute_run(run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert run.error and not Version.objects.filter(run=run).exists()
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files_before  # no result file left behind
    with open(photo.original.path, "rb") as handle:  # and the original was not written over
        assert handle.read() == b"not an image"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"hints": "some"}, "hints"),
        ({"era": "stone-age"}, "era"),
        ({"situation": "moon-landing"}, "situation"),
        ({"reference": 999999}, "reference"),
        ({"options": {"speed": "fast"}}, "options"),
        ({"options": {"max_side": 5}}, "options"),
    ],
)
def test_bad_run_parameters_get_a_clear_error_and_queue_nothing(people, photo, client_for, body, field):
    response = _post_run(client_for(people.curator), photo, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Run.objects.exists()


def test_an_unreadable_reference_upload_is_refused_and_queues_nothing(people, photo, client_for):
    import io

    upload = io.BytesIO(b"this is not an image")
    upload.name = "notes.png"
    response = client_for(people.curator).post(f"/api/photos/{photo.pk}/runs/", {"reference_image": upload})
    # The same answer as a photo upload's: 415 unsupported_format, on the reference_image field.
    assert response.status_code == 415 and "reference_image" in response.json()["error"]["fields"]
    assert response.json()["error"]["code"] == "unsupported_format"
    assert not Run.objects.exists()


def test_a_run_takes_context_and_an_uploaded_reference(
    people, photo, client_for, django_capture_on_commit_callbacks
):
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "red.png"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people.curator).post(
            f"/api/photos/{photo.pk}/runs/",
            {
                "era": "korean-war",
                "situation": "protest",
                "reference_image": buffer,
                "options": '{"max_side": 64}',
            },
        )
    assert response.status_code == 202, response.content
    version = Version.objects.get(run_id=response.json()["id"])
    assert version.context == {"era": "korean-war", "situation": "protest"}
    assert version.reference["kind"] == "uploaded" and version.reference_image
    assert version.params["max_side"] == 64


def test_a_run_in_a_context_without_adaptations_records_its_context_and_none(people, photo):
    era, situation = Era.objects.get(slug="korean-war"), Situation.objects.get(slug="protest")
    photo.era = era
    photo.save()
    photo.situations.set([situation])
    version = run_now(people.curator, photo).version
    assert version.context == {"era": "korean-war", "situation": "protest"}
    assert version.reference == {"kind": "none"}  # adaptations: tests/test_adaptation.py


@pytest.mark.parametrize(
    "who, status",
    [("owner", 202), ("curator", 202), ("reviewer", 202), ("viewer", 403), ("outsider", 404), (None, 403)],
)
def test_only_curators_and_above_may_run(people, photo, client_for, who, status):
    user = getattr(people, who) if who else None
    assert _post_run(client_for(user), photo).status_code == status
    assert Run.objects.count() == (1 if status == 202 else 0)


@pytest.mark.parametrize("who, status", [("viewer", 403), ("outsider", 404)])
def test_viewers_and_outsiders_may_not_cancel(people, photo, client_for, who, status):
    run = do_create_run(people.curator, photo, {})
    assert client_for(getattr(people, who)).post(f"/api/runs/{run.pk}/cancel/").status_code == status
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_outsiders_cannot_see_a_run(people, photo, client_for):
    run = do_create_run(people.curator, photo, {})
    assert client_for(people.outsider).get(f"/api/runs/{run.pk}/").status_code == 404
    assert client_for(people.viewer).get(f"/api/runs/{run.pk}/").status_code == 200


def test_a_batch_queues_every_photo_once(people, client_for, django_capture_on_commit_callbacks):
    first = make_photo(people.collection, people.curator, seed=1)
    second = make_photo(people.collection, people.curator, seed=2)
    busy = make_photo(people.collection, people.curator, seed=3)
    do_create_run(people.curator, busy, {})  # already queued: skipped
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people.curator).post(
            f"/api/collections/{people.collection.pk}/runs/",
            {"hints": "all"},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["skipped_photos"] == [busy.pk] and len(body["runs"]) == 2
    assert {Run.objects.get(pk=i).photo_id for i in body["runs"]} == {first.pk, second.pk}
    assert all(Run.objects.get(pk=i).status == RunStatus.DONE for i in body["runs"])
    assert client_for(people.viewer).post(f"/api/collections/{people.collection.pk}/runs/").status_code == 403


def test_a_batch_of_only_unrestored_photos_skips_restored_ones(people):
    fresh = make_photo(people.collection, people.curator, seed=1)
    done = make_photo(people.collection, people.curator, seed=2)
    done.status = PhotoStatus.APPROVED
    done.save()
    result = do_create_batch(people.curator, people.collection, {"only_unrestored": True})
    assert [Run.objects.get(pk=i).photo_id for i in result["runs"]] == [fresh.pk]


@pytest.mark.django_db(transaction=True)
def test_the_colorize_collection_command_runs_a_batch_with_a_progress_bar(people, capsys):
    make_photo(people.collection, people.curator, seed=1)
    done = make_photo(people.collection, people.curator, seed=2)
    Photo.objects.filter(pk=done.pk).update(status=PhotoStatus.APPROVED)
    call_command("colorize_collection", str(people.collection.pk), "--only-unrestored", "--user", "curator")
    out = capsys.readouterr()
    assert "1/1" in out.err  # tqdm's bar
    assert "1 done" in out.out
    assert Run.objects.get().status == RunStatus.DONE
    assert Version.objects.count() == 1


def test_recovery_requeues_queued_and_orphaned_runs_but_not_live_ones(
    people, photo, django_capture_on_commit_callbacks
):
    queued = do_create_run(people.curator, photo, {})
    other = make_photo(people.collection, people.curator, seed=9)
    orphan = do_create_run(people.curator, other, {})
    _claim(orphan.pk, "dead-worker")
    Run.objects.filter(pk=orphan.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    live_photo = make_photo(people.collection, people.curator, seed=10)
    live = do_create_run(people.curator, live_photo, {})
    _claim(live.pk, "live-worker")
    with django_capture_on_commit_callbacks(execute=True):
        recovered = recover_runs()
    assert set(recovered) == {queued.pk, orphan.pk}
    for run in (queued, orphan, live):
        run.refresh_from_db()
    assert queued.status == RunStatus.DONE and orphan.status == RunStatus.DONE
    assert live.status == RunStatus.RUNNING


def test_a_run_that_killed_its_worker_three_times_fails_instead_of_looping(people, photo, settings):
    run = do_create_run(people.curator, photo, {})
    for attempt in range(settings.RUN_MAX_ATTEMPTS):
        claimed, _ = _claim(run.pk, f"worker-{attempt}")
        assert claimed is not None
        Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert execute_run(run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "3 attempts" in run.error


def test_a_channel_layer_outage_neither_fails_the_request_nor_the_run(
    people, photo, client_for, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}]},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_run(client_for(people.curator), photo)
    assert response.status_code == 202
    run = Run.objects.get(pk=response.json()["id"])
    assert run.status == RunStatus.DONE and Version.objects.filter(run=run).count() == 1


def test_of_two_sweepers_only_one_takes_back_an_orphaned_run(people, photo):
    run = do_create_run(people.curator, photo, {})
    _claim(run.pk, "dead-worker")
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    now = timezone.now()
    assert _take_back(run.pk, now) == "requeued"
    assert _take_back(run.pk, now) is None
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.claim == "" and run.attempts == 1


def test_sweeping_fails_a_run_that_killed_its_worker_every_time(people, photo, settings):
    run = do_create_run(people.curator, photo, {})
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        attempts=settings.RUN_MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    assert recover_runs(queued=False) == []
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "attempts" in run.error


def test_a_database_outage_before_the_claim_asks_for_a_retry_and_leaves_the_run_queued(
    people, photo, monkeypatch
):
    from django.db import OperationalError

    run = do_create_run(people.curator, photo, {})

    def database_down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(execute, "_claim", database_down)
    with pytest.raises(ConnectionError):  # config.tasks retries ConnectionError with backoff
        execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
