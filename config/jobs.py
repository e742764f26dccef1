"""Background jobs behind one call: `enqueue("module.function", arg, ...)`.

- JOB_BACKEND=celery (set when REDIS_URL is): sends `config.tasks.run_job` to the Celery workers.
- JOB_BACKEND=inprocess (the embedded default): a thread pool inside the server process.
- JOB_BACKEND=sync: runs at once in the caller's thread (tests that want determinism).

Jobs are always sent after the current transaction commits, and take ids, never objects: the job
function reloads what it needs, so a retried or duplicated job must be idempotent.

A broker that cannot be reached (Redis down) does not fail the request that already committed its rows: the
send is logged and dropped, and the periodic sweep (colorize/services/sweep.py, archive's batch recovery) finds
the queued run, the pending photo or the silent batch and enqueues it again (docs/job-lifecycle.md).
"""

import importlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_pending: set[Future] = set()  # submitted and not finished yet: a finished job is forgotten
_pending_lock = threading.Lock()
RUN_JOB_TASK = "findcolor.run_job"  # config.tasks.run_job_task, sent by name (the worker imports it)


def resolve(path: str):
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ValueError(f"job path {path!r} must be 'module.function'")
    return getattr(importlib.import_module(module_name), attr)


def run_job(path: str, args: list, kwargs: dict):
    """Run one job in this thread, with fresh database connections around it."""
    close_old_connections()
    try:
        return resolve(path)(*args, **kwargs)
    finally:
        close_old_connections()


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.JOB_WORKERS, thread_name_prefix="findcolor-job"
            )
        return _executor


def _submit(path: str, args: list, kwargs: dict, options: dict):
    backend = settings.JOB_BACKEND
    if backend == "sync":
        # The caller's own thread and connection (maybe inside a test's transaction): don't reset it.
        resolve(path)(*args, **kwargs)
    elif backend == "inprocess":
        future = _get_executor().submit(_logged, path, args, kwargs)
        with _pending_lock:
            _pending.add(future)
        future.add_done_callback(_forget)
    else:
        from kombu.exceptions import OperationalError

        from config.celery import app

        try:
            app.send_task(RUN_JOB_TASK, args=[path, args, kwargs], **options)
        except OperationalError:
            log.exception(
                "could not send job %s%r (broker unreachable); the sweep sends it again", path, tuple(args)
            )


def _forget(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def _logged(path, args, kwargs):
    try:
        return run_job(path, args, kwargs)
    except Exception:
        log.exception("job %s%r failed", path, tuple(args))
        raise


def enqueue(path: str, *args, queue_options: dict | None = None, **kwargs) -> None:
    resolve(path)  # fail now, in the caller, on a typo
    transaction.on_commit(lambda: _submit(path, list(args), kwargs, queue_options or {}))


def wait_idle(timeout: float = 60.0) -> None:
    """Block until every in-process job submitted so far has finished (tests, management commands)."""
    while True:
        with _pending_lock:
            waiting = list(_pending)
        if not waiting:
            return
        for future in waiting:
            future.result(timeout=timeout)
