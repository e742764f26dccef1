"""What every part of a run's lifecycle shares: its timing settings, its job path, its events, what a
stale run is, and the one way a run that kills its worker fails."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from colorize.models import Run, RunStatus, Version
from colorize.serializers import run_json
from colorize.services import events

JOB = "colorize.services.runs.execute.execute_run"

send_event = events.send_safely
broadcast = events.broadcast


def stale_after() -> timedelta:
    return timedelta(seconds=settings.RUN_STALE_SECONDS)


def max_attempts() -> int:
    return settings.RUN_MAX_ATTEMPTS


def heartbeat_every() -> float:
    return max(0.2, settings.RUN_STALE_SECONDS / 4)


def stale_q(now) -> Q:
    """Running runs whose heartbeat is older than RUN_STALE_SECONDS (or missing): their worker died."""
    return Q(status=RunStatus.RUNNING) & (
        Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True)
    )


def without_version() -> Q:
    """Runs with no Version: a run whose version exists is never claimed or failed again."""
    return ~Exists(Version.objects.filter(run_id=OuterRef("pk")))


def fail_poison_run(run_id: int, attempts: int, now) -> bool:
    """A run whose worker stopped during each of its attempts: fail it and tell the room. One conditional
    UPDATE, so of several callers (claims, sweeps) exactly one does it. True if this call did."""
    failed = Run.objects.filter(stale_q(now), without_version(), pk=run_id).update(
        status=RunStatus.FAILED,
        finished_at=now,
        error=f"the worker stopped during each of {attempts} attempts",
    )
    if not failed:
        return False
    run = Run.objects.select_related("era", "situation", "requested_by").get(pk=run_id)
    send_event(run.photo_id, {"type": "run.failed", "run": run_json(run)})
    return True
