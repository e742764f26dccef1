"""Recovery: take back runs whose worker died and re-enqueue runs whose message may be lost."""

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from colorize.models import Run, RunStatus
from colorize.services.runs.common import JOB, fail_poison_run, max_attempts, stale_q, without_version
from config import jobs

log = logging.getLogger(__name__)


def _take_back(run_id: int, now) -> str | None:
    """Put a run whose worker died back in the queue (or fail it after RUN_MAX_ATTEMPTS). One conditional
    UPDATE: of several sweepers, exactly one wins and enqueues it; the dead claim is void from then on."""
    orphan = Run.objects.filter(stale_q(now), without_version(), pk=run_id)
    attempts = orphan.values_list("attempts", flat=True).first()
    if attempts is None:
        return None
    if attempts >= max_attempts():
        return "failed" if fail_poison_run(run_id, attempts, now) else None
    if orphan.update(status=RunStatus.QUEUED, claim="", job_id="", enqueued_at=now, progress=0):
        return "requeued"
    return None


def recover_runs(queued_older_than: timedelta | None = None, *, queued: bool = True) -> list[int]:
    """Re-enqueue runs that would otherwise wait forever: running runs whose worker died (heartbeat older than
    RUN_STALE_SECONDS) and, with `queued`, queued runs (enqueued before `queued_older_than` ago, or all) whose
    message may be lost. Safe to call any time and from many processes at once: each run is taken by one
    compare-and-set UPDATE, and execution is idempotent anyway."""
    now = timezone.now()
    ids = []
    for run_id in Run.objects.filter(stale_q(now)).order_by("id").values_list("id", flat=True):
        if _take_back(run_id, now) == "requeued":
            ids.append(run_id)
    if queued:
        waiting = Run.objects.filter(status=RunStatus.QUEUED).exclude(pk__in=ids)
        if queued_older_than is not None:
            waiting = waiting.filter(Q(enqueued_at__lt=now - queued_older_than) | Q(enqueued_at__isnull=True))
        for run_id, enqueued_at in waiting.order_by("created_at", "id").values_list("id", "enqueued_at"):
            if Run.objects.filter(pk=run_id, status=RunStatus.QUEUED, enqueued_at=enqueued_at).update(
                enqueued_at=now
            ):
                ids.append(run_id)
    for run_id in ids:
        try:
            jobs.enqueue(JOB, run_id)
        except Exception:  # noqa: BLE001
            log.exception("could not re-enqueue run %s", run_id)
    if ids:
        log.info("re-enqueued %d run(s): %s", len(ids), ids)
    return ids


def sweep_stale_runs() -> list[int]:
    """The periodic job (settings.PERIODIC_JOBS): take back running runs whose worker died. With Celery, Redis
    would redeliver their message only after the visibility timeout (an hour by default)."""
    return recover_runs(queued=False)
