"""Recording a run's result: the files (lossless PNG, preview, uncertainty map), the metrics, and the Version,
created in one transaction that re-checks the claim."""

import hashlib
import io
import logging
import time
from dataclasses import dataclass, field

import numpy as np
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image

from archive.models import Photo
from colorize.models import Run, RunStatus, Version
from colorize.serializers import run_json, version_json
from colorize.services.runs.common import broadcast
from ml.colorspace import rgb_to_lab

log = logging.getLogger(__name__)

PREVIEW_SIDE = 1600


@dataclass
class RunOutcome:
    """Everything a finished colorization leaves to record: the run and its claim, the model, its result."""

    run: Run
    token: str
    colorizer: object
    result: object  # ml.ColorizeResult (rgb, uncertainty, model_version, hint_errors, timings)
    rgb: np.ndarray
    hints: list = field(default_factory=list)  # hint_json(Hint) of each hint used
    context: dict = field(default_factory=dict)
    reference_info: dict = field(default_factory=dict)
    reference_name: str = ""
    adaptation: object = None  # the colorize.Adaptation the model applied (None: none)
    metrics: dict = field(default_factory=dict)


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
    H, W = rgb.shape[:2]
    out = []
    for hint in hints:
        col = min(int(hint.x * W), W - 1)
        row = min(int(hint.y * H), H - 1)
        lab = rgb_to_lab(rgb[row, col].astype(np.float64) / 255.0)
        error = float(np.hypot(lab[1] - hint.lab_a, lab[2] - hint.lab_b))
        out.append({"id": hint.pk, "status": hint.status, "chroma_error": round(error, 3)})
    return out


def measure(rgb, hints, result, started: float) -> dict:
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


def record_version(outcome: RunOutcome, written: list) -> Version | None:
    """Write the result files (appending (storage, name) to `written` as they land) and create the Version,
    if the claim still holds. None if it does not (or a concurrent execution recorded it first)."""
    run, rgb, result, colorizer, metrics = (
        outcome.run,
        outcome.rgb,
        outcome.result,
        outcome.colorizer,
        outcome.metrics,
    )
    token = outcome.token
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
        hints=outcome.hints,
        hints_mode=run.hints_mode,
        context=outcome.context,
        reference=outcome.reference_info,
        reference_image=outcome.reference_name,
        params={
            "hints_mode": run.hints_mode,
            "use_profile": run.use_profile,
            "use_adaptation": run.use_profile,
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
    for attr, content, name in (
        ("result", result_png, f"run{run.pk}-{suffix}-color.png"),
        ("preview", _preview_bytes(rgb), f"run{run.pk}-{suffix}-preview.jpg"),
        (
            "uncertainty",
            _uncertainty_bytes(getattr(result, "uncertainty", None), rgb.shape),
            f"run{run.pk}-{suffix}-uncertainty.png",
        ),
    ):
        field_file = getattr(version, attr)
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
            used = outcome.adaptation
            Run.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE,
                progress=100,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
                adaptation=used,
                adaptation_checksum=used.checksum if used is not None else "",
            )
            run.refresh_from_db()
            broadcast(photo.pk, {"type": "run.done", "run": run_json(run)})
            broadcast(photo.pk, {"type": "version.created", "version": version_json(version)})
    except IntegrityError:
        # A concurrent execution recorded the version first (the OneToOne refused ours).
        return None
    return version
