"""Colorization runs: request (check_* then do_*), execute (the idempotent job), cancel, recover.

The job lifecycle is documented in docs/job-lifecycle.md. In short:

- `do_create_run` stores a queued Run and enqueues `execute_run(run_id)` after the commit.
- `execute_run` claims the run with one conditional UPDATE (queued -> running, or a running run whose
  heartbeat is stale because its worker died), so two deliveries of the same job never both work on it; a
  heartbeat thread keeps the claim fresh while the model runs.
- The result files are written under names unique to the claim, then the Version is created in one
  transaction that re-checks the claim; `Version.run` is a OneToOne, so the database itself refuses a second
  version for the same run.
- `recover_runs` re-enqueues queued runs whose message may be lost and running runs whose worker died
  (at server start in the embedded mode, at worker start with Celery, or by `manage.py recover_runs`).
"""

import hashlib
import io
import logging
import threading
import time
import traceback
import uuid
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from accounts.permissions import check_role
from archive.models import Era, Photo, PhotoStatus, Situation
from colorize.models import HintsMode, ReferencePhoto, Run, RunStatus, Version
from colorize.models.runs import ACTIVE_STATUSES
from colorize.services import events
from config import jobs
from config.api import ServiceError

log = logging.getLogger(__name__)

JOB = "colorize.services.runs.execute_run"
PREVIEW_SIDE = 1600
MAX_REFERENCE_BYTES = 30 * 1024 * 1024
OPTION_KEYS = {"max_side", "seed"}


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "RUN_STALE_SECONDS", 60))


def max_attempts() -> int:
    return getattr(settings, "RUN_MAX_ATTEMPTS", 3)


def heartbeat_every() -> float:
    return max(0.2, getattr(settings, "RUN_STALE_SECONDS", 60) / 4)


# ---------------------------------------------------------------------------------------------------------
# Reading


def check_run(user, run_id, minimum: Role = Role.VIEWER) -> Run:
    run = Run.objects.select_related("photo__collection", "requested_by").filter(pk=run_id).first()
    if run is None:
        raise ServiceError("not_found", "no such run", status_code=404)
    check_role(user, run.photo.collection, minimum)
    return run


def check_photo(user, photo_id, minimum: Role) -> Photo:
    photo = Photo.objects.select_related("collection", "era").filter(pk=photo_id).first()
    if photo is None:
        raise ServiceError("not_found", "no such photo", status_code=404)
    check_role(user, photo.collection, minimum)
    return photo


def run_dict(run: Run) -> dict:
    version = getattr(run, "version", None) if run.status == RunStatus.DONE else None
    return {
        "id": run.pk,
        "photo": run.photo_id,
        "status": run.status,
        "progress": run.progress,
        "hints_mode": run.hints_mode,
        "era": run.era.slug if run.era_id else None,
        "situation": run.situation.slug if run.situation_id else None,
        "reference": run.reference_id,
        "reference_image": run.reference_image.url if run.reference_image else None,
        "use_profile": run.use_profile,
        "options": run.options,
        "parent_version": run.parent_version_id,
        "batch": str(run.batch) if run.batch else None,
        "error": run.error,
        "attempts": run.attempts,
        "requested_by": run.requested_by.username if run.requested_by_id else None,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "version": version.pk if version is not None else None,
        "version_number": version.number if version is not None else None,
    }


# ---------------------------------------------------------------------------------------------------------
# Requesting a run


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError("invalid", f"{field}: {message}", fields={field: [message]})


def check_run_params(data, files=None) -> dict:
    """Validate the parameters of a run request. Returns the cleaned fields of Run."""
    files = files or {}
    cleaned: dict = {}
    mode = data.get("hints", data.get("hints_mode", HintsMode.VERIFIED)) or HintsMode.VERIFIED
    if mode not in HintsMode.values:
        raise _invalid("hints", f"use one of {', '.join(HintsMode.values)}")
    cleaned["hints_mode"] = mode
    for field, model in (("era", Era), ("situation", Situation)):
        value = data.get(field)
        if value in (None, ""):
            cleaned[field] = None
            continue
        obj = model.objects.filter(slug=str(value)).first()
        if obj is None:
            raise _invalid(field, f"unknown {field} {value!r}")
        cleaned[field] = obj
    use_profile = data.get("use_profile", True)
    if isinstance(use_profile, str):
        use_profile = use_profile.strip().lower() not in ("0", "false", "no", "off")
    cleaned["use_profile"] = bool(use_profile)
    reference_id = data.get("reference")
    cleaned["reference"] = None
    if reference_id not in (None, ""):
        try:
            cleaned["reference"] = ReferencePhoto.objects.get(pk=int(reference_id))
        except (ValueError, TypeError, ReferencePhoto.DoesNotExist):
            raise _invalid("reference", f"no reference photo {reference_id!r}") from None
    upload = files.get("reference_image")
    if upload is not None:
        if upload.size > MAX_REFERENCE_BYTES:
            raise ServiceError(
                "file_too_large",
                "the reference image is too large",
                fields={"reference_image": ["too large"]},
            )
        try:
            with Image.open(upload) as image:
                image.verify()
        except Exception:
            raise _invalid("reference_image", "not a readable image") from None
        upload.seek(0)
        cleaned["reference_image"] = upload
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise _invalid("options", "must be an object")
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise _invalid("options", f"unknown option(s): {', '.join(sorted(unknown))}")
    if "max_side" in options and options["max_side"] is not None:
        try:
            side = int(options["max_side"])
        except (TypeError, ValueError):
            raise _invalid("options", "max_side must be an integer") from None
        if not 64 <= side <= 20000:
            raise _invalid("options", "max_side must be between 64 and 20000")
        options = {**options, "max_side": side}
    cleaned["options"] = options
    return cleaned


def _queue(run_ids: list[int]) -> None:
    """Enqueue after the commit; a broker outage leaves the runs queued for recover_runs, never lost."""

    def send():
        for run_id in run_ids:
            try:
                jobs.enqueue(JOB, run_id)
            except Exception:
                log.exception("could not enqueue run %s; recover_runs will pick it up", run_id)

    transaction.on_commit(send)


def _new_run(user, photo: Photo, cleaned: dict, batch=None) -> Run:
    upload = cleaned.pop("reference_image", None)
    run = Run(
        photo=photo,
        requested_by=user,
        batch=batch,
        parent_version=photo.versions.order_by("-number").first(),
        enqueued_at=timezone.now(),
        **cleaned,
    )
    if upload is not None:
        run.reference_image.save(upload.name or "reference", upload, save=False)
    run.save()
    if photo.status == PhotoStatus.UNRESTORED:
        Photo.objects.filter(pk=photo.pk, status=PhotoStatus.UNRESTORED).update(
            status=PhotoStatus.IN_PROGRESS
        )
    return run


def do_create_run(user, photo: Photo, data, files=None) -> Run:
    """Queue a full-resolution colorization of `photo` (the caller has checked the curator role)."""
    check_role(user, photo.collection, Role.CURATOR)
    cleaned = check_run_params(data, files)
    with transaction.atomic():
        run = _new_run(user, photo, cleaned)
        broadcast(photo.pk, {"type": "run.queued", "run": run_dict(run)})
    _queue([run.pk])
    return run


def do_create_batch(user, collection, data) -> dict:
    """Queue runs for every photo of a collection (optionally only the unrestored ones).

    Photos that already have a queued or running run are skipped, so a repeated request queues nothing twice.
    """
    check_role(user, collection, Role.CURATOR)
    only_unrestored = data.get("only_unrestored", False)
    if isinstance(only_unrestored, str):
        only_unrestored = only_unrestored.strip().lower() in ("1", "true", "yes", "on")
    cleaned = check_run_params(data)
    photos = collection.photos.all().order_by("id")
    if only_unrestored:
        photos = photos.filter(status=PhotoStatus.UNRESTORED)
    batch = uuid.uuid4()
    created, skipped = [], []
    with transaction.atomic():
        busy = set(
            Run.objects.filter(photo__collection=collection, status__in=ACTIVE_STATUSES).values_list(
                "photo_id", flat=True
            )
        )
        for photo in photos:
            if photo.pk in busy:
                skipped.append(photo.pk)
                continue
            run = _new_run(user, photo, dict(cleaned), batch=batch)
            created.append(run.pk)
            broadcast(photo.pk, {"type": "run.queued", "run": run_dict(run)})
    _queue(created)
    return {"batch": str(batch), "runs": created, "skipped_photos": skipped}


def do_cancel_run(user, run: Run) -> Run:
    check_role(user, run.photo.collection, Role.CURATOR)
    now = timezone.now()
    with transaction.atomic():
        changed = Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=RunStatus.CANCELLED, finished_at=now, error=f"cancelled by {user.username}"
        )
        run.refresh_from_db()
        if not changed:
            raise ServiceError("run_finished", f"the run is already {run.status}", status_code=409)
        broadcast(run.photo_id, {"type": "run.cancelled", "run": run_dict(run)})
    return run


# ---------------------------------------------------------------------------------------------------------
# Executing a run (the job)


_COLORIZERS: dict = {}
_COLORIZER_LOCK = threading.Lock()


def colorize_device() -> str:
    wanted = getattr(settings, "COLORIZE_DEVICE", "auto") or "auto"
    if wanted != "auto":
        return wanted
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def get_colorizer():
    """The process-wide colorizer: settings.COLORIZER (a dotted path to a factory) or the shipped checkpoint,
    on CUDA when torch sees a GPU (COLORIZE_DEVICE=auto), else on the CPU."""
    path = getattr(settings, "COLORIZER", "")
    if path:
        return jobs.resolve(path)()
    device = colorize_device()
    import ml

    if device == "cpu":
        return ml.get_colorizer()
    with _COLORIZER_LOCK:
        if device not in _COLORIZERS:
            _COLORIZERS[device] = ml.Colorizer.load(device=device)
        return _COLORIZERS[device]


_send_event = events.send_safely
broadcast = events.broadcast


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
    no_version = ~Exists(Version.objects.filter(run_id=OuterRef("pk")))
    taken = Run.objects.filter(claimable, no_version, pk=run_id).update(
        status=RunStatus.RUNNING,
        claim=token,
        job_id=job_id[:200],
        started_at=now,
        heartbeat_at=now,
        progress=0,
        error="",
        attempts=F("attempts") + 1,
    )
    run = Run.objects.select_related("photo__collection", "requested_by", "era", "situation").filter(
        pk=run_id
    )
    run = run.first()
    if run is None:
        return None, "gone"
    if not taken:
        if run.status == RunStatus.RUNNING and run.attempts >= max_attempts():
            # A poison run (it killed its worker every time): stop retrying, say why.
            failed = Run.objects.filter(
                no_version, pk=run_id, status=RunStatus.RUNNING, heartbeat_at__lt=stale
            ).update(
                status=RunStatus.FAILED,
                finished_at=now,
                error=f"the worker stopped during each of {run.attempts} attempts",
            )
            if failed:
                run.refresh_from_db()
                _send_event(run.photo_id, {"type": "run.failed", "run": run_dict(run)})
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
        _send_event(
            self.run.photo_id,
            {"type": "run.progress", "run": self.run.pk, "progress": percent, "status": RunStatus.RUNNING},
        )

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


def _load_gray(photo: Photo) -> np.ndarray:
    """The original's first page as (H,W) uint8, or uint16 for 16-bit scans (no precision lost)."""
    from archive.imaging import to_8bit

    with photo.original.open("rb") as handle, Image.open(handle) as image:
        image.seek(0)
        image.load()
        if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
            return np.asarray(image).astype(np.uint16)
        working = to_8bit(image)
    gray = working if working.mode == "L" else working.convert("L")
    return np.asarray(gray, dtype=np.uint8)


def _load_rgb(field_file) -> np.ndarray:
    with field_file.open("rb") as handle, Image.open(handle) as image:
        image.load()
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def run_context(run: Run) -> dict:
    era = run.era or run.photo.era
    situation = run.situation or run.photo.situations.order_by("name").first()
    return {"era": era.slug if era else None, "situation": situation.slug if situation else None}


def _hints_for(run: Run):
    from colorize.models import Hint

    hints = Hint.objects.live().filter(photo=run.photo).select_related("created_by", "verified_by")
    if run.hints_mode == HintsMode.VERIFIED:
        hints = hints.filter(status="verified")
    return list(hints.order_by("id"))


def _guidance(run: Run, context: dict):
    """(reference ndarray | None, profile | None, description dict, reference storage name)."""
    from colorize.services import profiles

    if run.reference_image:
        return (
            _load_rgb(run.reference_image),
            None,
            {"kind": "uploaded", "name": run.reference_image.name},
            run.reference_image.name,
        )
    if run.reference_id:
        ref = run.reference
        return (
            _load_rgb(ref.image),
            None,
            {"kind": "reference", "id": ref.pk, "title": ref.title, "source": ref.source},
            ref.image.name,
        )
    if run.use_profile:
        found = profiles.profile_for(context.get("era"), context.get("situation"))
        if found is not None:
            import ml

            return (
                None,
                ml.Profile.from_dict(found.profile),
                {"kind": "profile", "key": found.key, "id": found.pk, "sources": len(found.sources)},
                "",
            )
    return None, None, {"kind": "none"}, ""


def _png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    """Lossless PNG. zlib level 1: ~4x faster than 6 on a 12 MP result for ~8% more bytes."""
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _preview_bytes(rgb: np.ndarray) -> bytes:
    image = Image.fromarray(rgb, "RGB")
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def _uncertainty_bytes(uncertainty: np.ndarray | None, shape) -> bytes:
    if uncertainty is None:
        values = np.zeros(shape[:2], dtype=np.uint8)
    else:
        values = np.clip(np.nan_to_num(np.asarray(uncertainty, dtype=np.float32)) * 255 + 0.5, 0, 255)
        values = values.astype(np.uint8)
    image = Image.fromarray(values, "L")
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def hint_chroma_errors(rgb: np.ndarray, hints) -> list[dict]:
    """Independent check of the result: the Lab chroma distance at every hint's anchor vs the hint colour."""
    from skimage.color import rgb2lab

    H, W = rgb.shape[:2]
    out = []
    for hint in hints:
        col = min(int(hint.x * W), W - 1)
        row = min(int(hint.y * H), H - 1)
        lab = rgb2lab(rgb[row : row + 1, col : col + 1].astype(np.float64) / 255.0)[0, 0]
        error = float(np.hypot(lab[1] - hint.lab_a, lab[2] - hint.lab_b))
        out.append({"id": hint.pk, "status": hint.status, "chroma_error": round(error, 3)})
    return out


def _metrics(rgb, hints, result, started: float) -> dict:
    errors = hint_chroma_errors(rgb, hints)
    verified = [e["chroma_error"] for e in errors if e["status"] == "verified"]
    every = [e["chroma_error"] for e in errors]
    timings = getattr(result, "timings", None) or {}
    return {
        "duration_s": round(time.monotonic() - started, 3),
        "timings": {k: round(float(v), 4) for k, v in dict(timings).items()},
        "hint_count": len(hints),
        "verified_hint_count": sum(1 for h in hints if h.status == "verified"),
        "hint_chroma_error_max": round(max(every), 3) if every else None,
        "hint_chroma_error_mean": round(float(np.mean(every)), 3) if every else None,
        "verified_hint_chroma_error_max": round(max(verified), 3) if verified else None,
        "hint_errors": errors,
        "model_hint_errors": _jsonable(getattr(result, "hint_errors", None)),
        "mean_uncertainty": (
            round(float(np.mean(result.uncertainty)), 4)
            if getattr(result, "uncertainty", None) is not None
            else None
        ),
    }


def _jsonable(value):
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return [round(float(v), 4) for v in value.ravel().tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.floating, float)):
        return round(float(value), 4)
    if isinstance(value, (np.integer, int)):
        return int(value)
    return str(value)


def _finish(run_id: int, token: str, status: str, error: str = "") -> bool:
    with transaction.atomic():
        n = Run.objects.filter(pk=run_id, claim=token, status=RunStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), error=error[:5000]
        )
        if n:
            run = Run.objects.select_related("era", "situation", "requested_by").get(pk=run_id)
            kind = {RunStatus.FAILED: "run.failed", RunStatus.CANCELLED: "run.cancelled"}[status]
            broadcast(run.photo_id, {"type": kind, "run": run_dict(run)})
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
    _send_event(
        run.photo_id,
        {"type": "run.started", "run": run.pk, "status": RunStatus.RUNNING, "attempt": run.attempts},
    )
    heartbeat = _Heartbeat(run.pk, token)
    heartbeat.start()
    started = time.monotonic()
    written: list[tuple] = []
    try:
        import ml

        context = run_context(run)
        hints = _hints_for(run)
        gray = _load_gray(run.photo)
        reference, profile, reference_info, reference_name = _guidance(run, context)
        reporter = _Reporter(run, token)
        colorizer = get_colorizer()
        try:
            result = colorizer.colorize(
                gray,
                hints=[h.to_ml() for h in hints],
                reference=reference,
                context=ml.Context(era=context["era"], situation=context["situation"]),
                profile=profile,
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
        rgb = np.ascontiguousarray(result.rgb, dtype=np.uint8)
        metrics = _metrics(rgb, hints, result, started)
        snapshot = [h.snapshot() for h in hints]
        version = _record_version(
            run,
            token,
            colorizer,
            result,
            rgb,
            snapshot,
            context,
            reference_info,
            reference_name,
            metrics,
            written,
        )
    except Exception as exc:  # noqa: BLE001 (every failure is recorded on the run, never lost)
        for storage, name in written:
            _delete_quietly(storage, name)
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
            _delete_quietly(storage, name)
        return Run.objects.filter(pk=run_id).values_list("status", flat=True).first() or "gone"
    return RunStatus.DONE


def _record_version(
    run, token, colorizer, result, rgb, snapshot, context, reference_info, reference_name, metrics, written
):
    photo = run.photo
    suffix = token[:12]
    H, W = rgb.shape[:2]
    write_started = time.monotonic()
    result_png = _png_bytes(rgb, "RGB")
    version = Version(
        photo=photo,
        run=run,
        number=0,
        parent=run.parent_version,
        model_name=str(getattr(colorizer, "model_name", "")),
        model_version=str(getattr(result, "model_version", None) or getattr(colorizer, "model_version", "")),
        model_checksum=str(getattr(colorizer, "checksum", "")),
        hints=snapshot,
        hints_mode=run.hints_mode,
        context=context,
        reference=reference_info,
        reference_image=reference_name,
        params={
            "hints_mode": run.hints_mode,
            "use_profile": run.use_profile,
            "options": run.options,
            "max_side": run.options.get("max_side"),
            "full_resolution": run.options.get("max_side") is None,
        },
        result_sha256=hashlib.sha256(result_png).hexdigest(),
        width=W,
        height=H,
        metrics=metrics,
        created_by=run.requested_by,
    )
    for field, content, name in (
        ("result", result_png, f"run{run.pk}-{suffix}-color.png"),
        ("preview", _preview_bytes(rgb), f"run{run.pk}-{suffix}-preview.jpg"),
        (
            "uncertainty",
            _uncertainty_bytes(getattr(result, "uncertainty", None), rgb.shape),
            f"run{run.pk}-{suffix}-uncertainty.png",
        ),
    ):
        field_file = getattr(version, field)
        field_file.save(name, ContentFile(content), save=False)
        written.append((field_file.storage, field_file.name))
    metrics["write_s"] = round(time.monotonic() - write_started, 3)
    metrics["total_s"] = round(metrics.get("duration_s", 0.0) + metrics["write_s"], 3)
    try:
        with transaction.atomic():
            # Lock the photo row: version numbers are assigned one at a time per photo.
            Photo.objects.select_for_update().filter(pk=photo.pk).first()
            held = (
                Run.objects.select_for_update()
                .filter(pk=run.pk, claim=token, status=RunStatus.RUNNING)
                .exists()
            )
            if not held or Version.objects.filter(run_id=run.pk).exists():
                return None
            version.number = (Version.objects.filter(photo=photo).aggregate(m=Max("number"))["m"] or 0) + 1
            version.created_at = timezone.now()
            version.save()
            Run.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE, progress=100, finished_at=timezone.now(), heartbeat_at=timezone.now()
            )
            run.refresh_from_db()
            broadcast(photo.pk, {"type": "run.done", "run": run_dict(run)})
            from colorize.services.review import version_dict

            broadcast(photo.pk, {"type": "version.created", "version": version_dict(version)})
    except IntegrityError:
        # A concurrent execution recorded the version first (the OneToOne refused ours).
        return None
    return version


def _delete_quietly(storage, name):
    try:
        storage.delete(name)
    except Exception:  # noqa: BLE001
        log.warning("could not delete %s", name)


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


# ---------------------------------------------------------------------------------------------------------
# Recovery


def _stale_q(now) -> Q:
    return Q(status=RunStatus.RUNNING) & (
        Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True)
    )


def recoverable_runs(queued_older_than: timedelta | None = None):
    """Queued runs (optionally only those enqueued before a cutoff) and running runs whose worker died."""
    now = timezone.now()
    queued = Q(status=RunStatus.QUEUED)
    if queued_older_than is not None:
        queued &= Q(enqueued_at__lt=now - queued_older_than) | Q(enqueued_at__isnull=True)
    return Run.objects.filter(queued | _stale_q(now)).order_by("created_at", "id")


def _take_back(run_id: int, now) -> str | None:
    """Put a run whose worker died back in the queue (or fail it after RUN_MAX_ATTEMPTS). One conditional
    UPDATE: of several sweepers, exactly one wins and enqueues it; the dead claim is void from then on."""
    orphan = Run.objects.filter(
        _stale_q(now), ~Exists(Version.objects.filter(run_id=OuterRef("pk"))), pk=run_id
    )
    attempts = orphan.values_list("attempts", flat=True).first()
    if attempts is None:
        return None
    if attempts >= max_attempts():
        if orphan.update(
            status=RunStatus.FAILED,
            finished_at=now,
            error=f"the worker stopped during each of {attempts} attempts",
        ):
            run = Run.objects.select_related("era", "situation", "requested_by").get(pk=run_id)
            _send_event(run.photo_id, {"type": "run.failed", "run": run_dict(run)})
            return "failed"
        return None
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
    for run_id in Run.objects.filter(_stale_q(now)).order_by("id").values_list("id", flat=True):
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
