"""Executing a run (the job): claim it, keep the claim fresh, colorize, record the Version or the failure.
See docs/job-lifecycle.md."""

import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from colorize.models import Adaptation, HintsMode, Run, RunStatus
from colorize.serializers import hint_json, run_json
from colorize.services import model
from colorize.services.runs.common import (
    JOB,
    broadcast,
    fail_poison_run,
    heartbeat_every,
    max_attempts,
    send_event,
    stale_after,
    without_version,
)
from colorize.services.runs.record import RunOutcome, measure, record_version
from config import jobs
from config.storage import delete_quietly

log = logging.getLogger(__name__)


def _claim(run_id: int, job_id: str) -> tuple[Run | None, str]:
    """Atomically take the run. Returns (run, token) or (None, reason)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    stale = now - stale_after()
    claimable = Q(status=RunStatus.QUEUED) | Q(
        status=RunStatus.RUNNING, heartbeat_at__lt=stale, attempts__lt=max_attempts()
    )
    # Every condition is on the run row itself (no join), so PostgreSQL re-checks all of them on the latest
    # row version when two deliveries race for it: exactly one UPDATE matches. NOT EXISTS(version) keeps a run
    # whose version exists unclaimable even if its status lagged.
    taken = Run.objects.filter(claimable, without_version(), pk=run_id).update(
        status=RunStatus.RUNNING,
        claim=token,
        job_id=job_id[:200],
        started_at=now,
        heartbeat_at=now,
        progress=0,
        error="",
        attempts=F("attempts") + 1,
    )
    run = Run.objects.select_related(
        "photo__collection", "requested_by", "era", "situation", "base", "adaptation"
    ).filter(pk=run_id)
    run = run.first()
    if run is None:
        return None, "gone"
    if not taken:
        if (
            run.status == RunStatus.RUNNING
            and run.attempts >= max_attempts()
            and fail_poison_run(run_id, run.attempts, now)
        ):
            return None, RunStatus.FAILED
        return None, run.status
    return run, token


class _Heartbeat(threading.Thread):
    """Keeps the claim fresh while the model runs (a single long step reports no progress)."""

    def __init__(self, run_id: int, token: str):
        super().__init__(daemon=True, name=f"run-{run_id}-heartbeat")
        self.run_id, self.token = run_id, token
        self.stopped = threading.Event()
        self.lost = False

    def run(self):
        from django.db import connection

        try:
            while not self.stopped.wait(heartbeat_every()):
                try:
                    n = Run.objects.filter(pk=self.run_id, claim=self.token, status=RunStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                    if n == 0:
                        self.lost = True
                        return
                except Exception as exc:  # noqa: BLE001 (a DB blip must not kill the run)
                    log.warning("heartbeat of run %s failed: %s", self.run_id, exc)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join(timeout=5)


class _Reporter:
    """The colorizer's progress and cancel callbacks: throttled DB writes + room events."""

    def __init__(self, run: Run, token: str, min_interval: float = 0.5):
        self.run, self.token = run, token
        self.min_interval = min_interval
        self.last_write = 0.0
        self.last_percent = -1
        self.last_check = 0.0
        self.cancelled = False

    def progress(self, fraction: float) -> None:
        percent = int(max(0.0, min(1.0, float(fraction))) * 100)
        percent = min(percent, 99)  # 100 only once the version exists
        now = time.monotonic()
        if percent <= self.last_percent or (now - self.last_write < self.min_interval and percent < 99):
            return
        self.last_write, self.last_percent = now, percent
        Run.objects.filter(pk=self.run.pk, claim=self.token).update(
            progress=percent, heartbeat_at=timezone.now()
        )
        self.run.status, self.run.progress = RunStatus.RUNNING, percent
        send_event(self.run.photo_id, {"type": "run.progress", "run": run_json(self.run)})

    def cancel(self) -> bool:
        if self.cancelled:
            return True
        now = time.monotonic()
        if now - self.last_check < 0.25:
            return False
        self.last_check = now
        current = Run.objects.filter(pk=self.run.pk).values_list("status", "claim").first()
        self.cancelled = current is None or current[0] != RunStatus.RUNNING or current[1] != self.token
        return self.cancelled


def _hints_for(run: Run):
    from colorize.models import Hint

    hints = Hint.objects.live().filter(photo=run.photo).select_related("created_by", "verified_by")
    if run.hints_mode == HintsMode.VERIFIED:
        hints = hints.filter(status="verified")
    return list(hints.order_by("id"))


@dataclass
class Guidance:
    """What guides the global colours of a run: an uploaded or picked reference photo, else the adaptation
    picked when it was requested (docs/adaptation.md), else nothing."""

    reference: np.ndarray | None = None
    adaptation: object = None  # ml.Adaptation
    row: Adaptation | None = None  # its stored row
    info: dict = field(default_factory=lambda: {"kind": "none"})
    reference_name: str = ""


def adaptation_info(row: Adaptation) -> dict:
    gate = row.gate or {}
    return {
        "kind": "adaptation",
        "id": row.pk,
        "scope": row.scope,
        "checksum": row.checksum,
        "n_references": row.n_references,
        "n_verified_colours": row.n_verified_colours,
        "n_heldout": gate.get("n_heldout"),
        "delta_db": gate.get("delta_db"),
        "variant": gate.get("variant", "profile"),
    }


def _adaptation_guidance(run: Run) -> Guidance:
    row = run.adaptation
    if row is None or not run.use_profile:
        return Guidance()
    if not row.usable:  # a row picked at request time is never edited; this guards a hand-edited one
        return Guidance(info={"kind": "none", "adaptation_refused": {"id": row.pk, "error": "not passed"}})
    try:
        loaded = model.load_adaptation(row.data, row.checksum)
    except (ValueError, OSError) as exc:  # ml.AdaptationError is a ValueError: malformed or altered file
        log.warning("run %s: adaptation %s refused: %s", run.pk, row.pk, exc)
        refused = {"id": row.pk, "scope": row.scope, "checksum": row.checksum, "error": str(exc)[:500]}
        return Guidance(info={"kind": "none", "adaptation_refused": refused})
    return Guidance(adaptation=loaded, row=row, info=adaptation_info(row))


def _guidance(run: Run) -> Guidance:
    if run.reference_image:
        return Guidance(
            reference=model.load_rgb(run.reference_image),
            info={"kind": "uploaded", "name": run.reference_image.name},
            reference_name=run.reference_image.name,
        )
    if run.reference_id:
        ref = run.reference
        return Guidance(
            reference=model.load_rgb(ref.image),
            info={"kind": "reference", "id": ref.pk, "title": ref.title, "source": ref.source},
            reference_name=ref.image.name,
        )
    return _adaptation_guidance(run)


def _used(guidance: Guidance, result) -> Guidance:
    """What the model says it used: an adaptation it did not apply (made for another model) is recorded as
    none."""
    if guidance.row is None:
        return guidance
    applied = getattr(result, "adaptation", None)
    if applied == guidance.row.checksum:
        return guidance
    ignored = {"id": guidance.row.pk, "checksum": guidance.row.checksum, "error": "not applied by the model"}
    return Guidance(info={"kind": "none", "adaptation_refused": ignored})


def _finish(run_id: int, token: str, status: str, error: str = "") -> bool:
    with transaction.atomic():
        n = Run.objects.filter(pk=run_id, claim=token, status=RunStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), error=error[:5000]
        )
        if n:
            run = Run.objects.select_related("era", "situation", "requested_by").get(pk=run_id)
            kind = {RunStatus.FAILED: "run.failed", RunStatus.CANCELLED: "run.cancelled"}[status]
            broadcast(run.photo_id, {"type": kind, "run": run_json(run)})
    return bool(n)


def execute_run(run_id: int, job_id: str = "") -> str:
    """The job: colorize one run's photo at full resolution and record the Version. Idempotent.

    Returns what happened: "done", "cancelled", "failed", or why nothing was done ("done" if the version
    already exists, "running" if another live worker holds the run, "gone" if it was deleted).
    """
    if not job_id:
        job_id = _current_task_id()
    try:
        run, token = _claim(run_id, job_id)
    except (OperationalError, InterfaceError) as exc:
        # The database is away: nothing was done; let the task be retried with backoff (config.tasks).
        raise ConnectionError(f"database unavailable, run {run_id} not started: {exc}") from exc
    if run is None:
        if token == RunStatus.RUNNING:
            _check_later(run_id)
        return token
    send_event(run.photo_id, {"type": "run.started", "run": run_json(run)})
    heartbeat = _Heartbeat(run.pk, token)
    heartbeat.start()
    started = time.monotonic()
    written: list[tuple] = []
    try:
        import ml

        context = model.context_of(run.photo, run.era, run.situation)
        hints = _hints_for(run)
        gray = model.load_gray(run.photo, base=run.base)  # the repaired base when the run recorded one
        guidance = _guidance(run)
        reporter = _Reporter(run, token)
        colorizer = model.get_colorizer()
        try:
            result = colorizer.colorize(
                gray,
                hints=[h.to_ml() for h in hints],
                reference=guidance.reference,
                adaptation=guidance.adaptation,
                max_side=run.options.get("max_side"),
                progress=reporter.progress,
                cancel=reporter.cancel,
            )
        except ml.Cancelled:
            _finish(run.pk, token, RunStatus.CANCELLED, "cancelled")
            return RunStatus.CANCELLED
        if reporter.cancel() or reporter.cancelled:
            _finish(run.pk, token, RunStatus.CANCELLED, "cancelled")
            return RunStatus.CANCELLED
        guidance = _used(guidance, result)
        rgb = np.ascontiguousarray(result.rgb, dtype=np.uint8)
        metrics = measure(rgb, hints, result, started)
        outcome = RunOutcome(
            run=run,
            token=token,
            colorizer=colorizer,
            result=result,
            rgb=rgb,
            hints=[hint_json(h) for h in hints],
            context=context,
            reference_info=guidance.info,
            reference_name=guidance.reference_name,
            adaptation=guidance.row,
            metrics=metrics,
        )
        version = record_version(outcome, written)
    except Exception as exc:  # noqa: BLE001 (every failure is recorded on the run, never lost)
        for storage, name in written:
            delete_quietly(storage, name)
        log.exception("run %s failed", run_id)
        message = f"{type(exc).__name__}: {exc}"
        if settings.DEBUG:
            message += "\n" + traceback.format_exc(limit=5)
        _finish(run_id, token, RunStatus.FAILED, message)
        return RunStatus.FAILED
    finally:
        heartbeat.stop()
    if version is None:
        for storage, name in written:
            delete_quietly(storage, name)
        return Run.objects.filter(pk=run_id).values_list("status", flat=True).first() or "gone"
    return RunStatus.DONE


def _current_task_id() -> str:
    try:
        from celery import current_task

        if current_task and current_task.request and current_task.request.id:
            return str(current_task.request.id)
    except Exception:  # noqa: BLE001
        pass
    return f"{settings.JOB_BACKEND}:{threading.current_thread().name}"


def _check_later(run_id: int) -> None:
    """Another worker holds the run. With Celery, look again once its claim could have gone stale, so a
    redelivered message still finishes the run if that worker dies; in-process there is nobody else."""
    if settings.JOB_BACKEND != "celery":
        return
    try:
        jobs.enqueue(JOB, run_id, queue_options={"countdown": int(stale_after().total_seconds()) + 1})
    except Exception:  # noqa: BLE001
        log.warning("could not schedule a later check of run %s", run_id)
