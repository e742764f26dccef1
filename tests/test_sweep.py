"""The periodic sweep: derivative jobs and runs lost to a fault are enqueued again, nothing stays stuck."""

from datetime import timedelta

import pytest
from django.utils import timezone

from archive.models import DerivativeStatus, Photo
from colorize.models import Run, RunStatus
from colorize.services.sweep import sweep
from tests.factories import jobs_run_now, make_photo
from tests.test_run_support import COLORIZER_PATH

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _age(queryset, **fields):
    queryset.update(**fields)


def test_a_photo_left_pending_by_a_dead_worker_gets_its_derivatives_from_the_sweep(people, settings):
    settings.SWEEP_PENDING_AFTER_SECONDS = 600
    stuck = make_photo(people.collection, seed=1)
    fresh = make_photo(people.collection, seed=2)
    assert {stuck.derivatives_status, fresh.derivatives_status} == {DerivativeStatus.PENDING}
    _age(Photo.objects.filter(pk=stuck.pk), updated=timezone.now() - timedelta(hours=1))
    with jobs_run_now():
        result = sweep()
    assert result["photos"] == [stuck.pk]
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.derivatives_status == DerivativeStatus.READY and stuck.thumbnail
    assert fresh.derivatives_status == DerivativeStatus.PENDING  # still within its time: not duplicated
    with jobs_run_now():
        assert sweep()["photos"] == []  # nothing stuck any more


def test_a_run_whose_message_was_lost_is_run_by_the_sweep(people, settings):
    from colorize.services.runs.request import do_create_run

    settings.COLORIZER = COLORIZER_PATH
    settings.SWEEP_QUEUED_AFTER_SECONDS = 120
    photo = make_photo(people.collection, seed=3)
    # Requested while the broker was down: the run is queued, its message never reached a worker.
    run = do_create_run(people.curator, photo, {})
    assert Run.objects.get(pk=run.pk).status == RunStatus.QUEUED
    with jobs_run_now():
        assert sweep()["runs"] == []  # too recent: its message may still be on its way
    _age(Run.objects.filter(pk=run.pk), enqueued_at=timezone.now() - timedelta(minutes=10))
    with jobs_run_now():
        assert sweep()["runs"] == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.version is not None
    with jobs_run_now():
        assert sweep() == {"runs": [], "photos": []}


def test_celery_beat_and_the_embedded_timer_schedule_the_sweep(settings):
    import config.tasks  # noqa: F401  (a worker imports it at start: app.conf.imports)
    from config.celery import app
    from config.jobs import resolve

    path = "colorize.services.sweep.sweep"
    assert resolve(path) is sweep
    assert settings.PERIODIC_JOBS[path] == settings.SWEEP_INTERVAL_SECONDS
    entry = app.conf.beat_schedule[path]
    assert entry["task"] in app.tasks and entry["args"][0] == path
