"""The periodic sweep (docs/job-lifecycle.md): nothing waits forever after a fault.

- runs whose worker died (heartbeat older than RUN_STALE_SECONDS) go back to the queue;
- queued runs whose message may be lost (enqueued more than SWEEP_QUEUED_AFTER_SECONDS ago: Redis was down when
  the run was requested, or a broker restart lost it) are enqueued again;
- photos whose derivatives are still `pending` after SWEEP_PENDING_AFTER_SECONDS get their job again.

A periodic job (settings.PERIODIC_JOBS, every SWEEP_INTERVAL_SECONDS): Celery beat in production, the embedded
server's timer otherwise (config/periodic.py). Every step is a compare-and-set or idempotent, so overlapping
sweeps (a manual `recover_runs`, the stale-run sweep) are harmless.
"""

from datetime import timedelta

from django.conf import settings

from archive.services.ingest import recover_derivatives
from colorize.services.runs.recovery import recover_runs


def sweep() -> dict:
    runs = recover_runs(queued_older_than=timedelta(seconds=settings.SWEEP_QUEUED_AFTER_SECONDS))
    photos = recover_derivatives(timedelta(seconds=settings.SWEEP_PENDING_AFTER_SECONDS))
    return {"runs": runs, "photos": photos}
