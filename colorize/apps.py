import logging
import os
import sys
import threading

from django.apps import AppConfig

log = logging.getLogger(__name__)
SERVER_PROGRAMS = ("daphne", "uvicorn", "gunicorn", "hypercorn")


def is_server_process(argv=None) -> bool:
    """True in the process that serves the site (daphne & co., or runserver's serving child)."""
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return False
    program = os.path.basename(os.path.dirname(argv[0]) if argv[0].endswith("__main__.py") else argv[0])
    if any(name in program for name in SERVER_PROGRAMS):
        return True
    if len(argv) > 1 and argv[1] == "runserver":
        return os.environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return False


def resume_runs(rounds: int = 2) -> None:
    """Embedded mode: re-enqueue queued runs and runs orphaned by a crash. Runs in a daemon thread, after the
    app registry is ready; a second round after RUN_STALE_SECONDS catches runs whose heartbeat was still fresh
    when the server came up."""
    import time

    from django.conf import settings
    from django.db import close_old_connections

    from colorize.services.runs import recover_runs

    for round_ in range(rounds):
        if round_:
            time.sleep(settings.RUN_STALE_SECONDS + 1)
        try:
            close_old_connections()
            ids = recover_runs()
            if ids:
                log.info("resumed %d colorization run(s) after start: %s", len(ids), ids)
        except Exception:  # noqa: BLE001 (e.g. the database is not migrated yet)
            log.exception("could not resume colorization runs")
        finally:
            close_old_connections()


def _sweep_forever(interval: float) -> None:
    """Celery workers: take back runs whose worker died, every `interval` seconds (jittered). Redis would
    redeliver their message only after the visibility timeout (an hour by default)."""
    import random
    import time

    from django.db import close_old_connections

    from colorize.services.runs import recover_runs

    while True:
        time.sleep(interval * random.uniform(0.75, 1.25))
        try:
            close_old_connections()
            recover_runs(queued=False)
        except Exception:  # noqa: BLE001 (the database may be briefly away; try again next time)
            log.warning("sweep for orphaned runs failed", exc_info=True)
        finally:
            close_old_connections()


def _on_worker_ready(**kwargs):
    """Celery: a starting worker re-enqueues runs whose worker died, and queued runs whose message is old
    enough to have been lost (a broker restart without persistence); then it keeps sweeping for runs orphaned
    by a dead worker. Duplicates are harmless (claims are atomic, versions unique per run)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import close_old_connections

    from colorize.services.runs import recover_runs

    try:
        ids = recover_runs(queued_older_than=timedelta(seconds=settings.RUN_STALE_SECONDS * 5))
        if ids:
            log.info("worker start: re-enqueued %d run(s): %s", len(ids), ids)
    except Exception:  # noqa: BLE001
        log.exception("worker start: could not recover runs")
    finally:
        close_old_connections()
    threading.Thread(
        target=_sweep_forever, args=(float(settings.RUN_STALE_SECONDS),), daemon=True, name="orphan-sweep"
    ).start()


class ColorizeConfig(AppConfig):
    name = "colorize"

    def ready(self):
        from django.conf import settings

        from colorize.services import signing  # noqa: F401 (registers the C2PA configuration check)

        try:
            from celery.signals import worker_ready

            worker_ready.connect(_on_worker_ready, dispatch_uid="colorize.recover_runs")
        except ImportError:  # pragma: no cover (celery is a dependency)
            pass
        if (
            settings.JOB_BACKEND == "inprocess"
            and getattr(settings, "RESUME_RUNS_ON_START", True)
            and is_server_process()
        ):
            timer = threading.Timer(1.0, resume_runs)
            timer.daemon = True
            timer.start()
