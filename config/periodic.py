"""Periodic jobs: settings.PERIODIC_JOBS maps a job's dotted path to its interval in seconds.

- With Celery (production), `celery -A config beat` sends each one as the usual job task on that interval
  (settings.CELERY_BEAT_SCHEDULE is built from PERIODIC_JOBS; see docker-compose.yml's `beat` service).
- In the embedded mode (JOB_BACKEND=inprocess), the serving process runs them on one in-process timer thread,
  started by config/asgi.py (the module only a serving process loads): first the EMBEDDED_START_JOBS once,
  then each periodic job whenever it is due.

To add periodic work, add its job path and interval to PERIODIC_JOBS in config/settings.py. Jobs are ordinary
idempotent functions without arguments (config/jobs.py).
"""

import logging
import threading

from django.conf import settings

from config.jobs import resolve, run_job

log = logging.getLogger(__name__)
THREAD_NAME = "findcolor-periodic"
_started = threading.Event()


def _run(path: str) -> None:
    try:
        run_job(path, [], {})
    except Exception:  # noqa: BLE001 (the database may be briefly away: the next round tries again)
        log.exception("periodic job %s failed", path)


def _loop(start_jobs: list[str], periodic_jobs: dict[str, float], stop: threading.Event) -> None:
    for path in start_jobs:
        _run(path)
    due = dict.fromkeys(periodic_jobs, 0.0)
    clock = 0.0
    tick = max(0.2, min(periodic_jobs.values(), default=60.0))
    while not stop.wait(tick):
        clock += tick
        for path, seconds in periodic_jobs.items():
            if clock >= due[path] + seconds:
                due[path] = clock
                _run(path)


def start_embedded(stop: threading.Event | None = None) -> bool:
    """Start the embedded timer once per process (no-op unless JOB_BACKEND=inprocess). True if it started."""
    if settings.JOB_BACKEND != "inprocess" or _started.is_set():
        return False
    _started.set()
    start_jobs = list(settings.EMBEDDED_START_JOBS)
    periodic_jobs = dict(settings.PERIODIC_JOBS)
    for path in [*start_jobs, *periodic_jobs]:
        resolve(path)  # a typo fails now, loudly
    thread = threading.Thread(
        target=_loop,
        args=(start_jobs, periodic_jobs, stop or threading.Event()),
        daemon=True,
        name=THREAD_NAME,
    )
    thread.start()
    return True
