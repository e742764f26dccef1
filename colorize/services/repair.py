"""Repair before colour (docs/repair.md, "Platform"): find damage as a job, correct the mask, preview, apply a
repaired base, undo it. `check_*` validate and authorize, `do_*` store; the model is reached only through
colorize/services/model.py (get_repairer, load_gray).

Masks are 8-bit PNGs the size of the photo's working image (the original as shown, i.e. photo.width x
photo.height, the size of its gray derivative), 255 = damaged, 0 = original. The repaired base is the original's
grayscale at full precision (16-bit stays 16-bit) with exactly the mask's pixels filled by ml.repair; every other
pixel is the original's own value (ml.repair's composite guarantee, checked again here before storing).
"""

import hashlib
import io
import logging
import time
import uuid
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from accounts.models import Role
from archive.access import check_role
from archive.models import DerivativeStatus, Photo
from colorize.models import DamageScan, RepairedBase, RepairMask, RepairStroke, RunStatus, StrokeAction
from colorize.models.runs import ACTIVE_STATUSES
from colorize.services import events, model
from config import jobs
from config.api import ServiceError, invalid

log = logging.getLogger(__name__)

SCAN_JOB = "colorize.services.repair.execute_scan"
MAX_STROKE_POINTS = 2000
MAX_STROKE_RADIUS = 200


# ---------------------------------------------------------------------------------------------------------
# JSON (the one contract of these resources: REST and the workspace)


def _user(user) -> str | None:
    return user.username if user is not None else None


def scan_json(scan: DamageScan) -> dict:
    return {
        "id": scan.pk,
        "photo": scan.photo_id,
        "status": scan.status,
        "progress": scan.progress,
        "error": scan.error,
        "pixels": scan.pixels,
        "model": {"name": scan.model_name, "version": scan.model_version, "checksum": scan.model_checksum},
        "requested_by": _user(scan.requested_by),
        "created_at": scan.created_at.isoformat(),
        "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
    }


def mask_json(mask: RepairMask | None) -> dict | None:
    if mask is None:
        return None
    total = max(1, mask.width * mask.height)
    return {
        "revision": mask.revision,
        "generation": mask.generation,
        "source": mask.base_source,
        "scan": mask.scan_id,
        "width": mask.width,
        "height": mask.height,
        "pixels": mask.pixels,
        "share": mask.pixels / total,
        "applied": mask.applied_revision is not None and mask.applied_revision == mask.revision,
        "url": f"/api/photos/{mask.photo_id}/repair/mask.png?revision={mask.revision}",
        "updated_by": _user(mask.updated_by),
        "updated_at": mask.updated_at.isoformat(),
    }


def stroke_json(stroke: RepairStroke) -> dict:
    return {
        "id": stroke.pk,
        "action": stroke.action,
        "points": stroke.points,
        "radius": stroke.radius,
        "revision": stroke.revision,
        "generation": stroke.generation,
        "created_by": _user(stroke.created_by),
        "created_at": stroke.created_at.isoformat(),
        "undone": stroke.undone_at is not None,
        "undone_by": _user(stroke.undone_by),
    }


def base_json(base: RepairedBase) -> dict:
    return {
        "id": base.pk,
        "photo": base.photo_id,
        "number": base.number,
        "active": base.active,
        "width": base.width,
        "height": base.height,
        "pixels": base.pixels,
        "share": base.share,
        "mask_revision": base.mask_revision,
        "mask_source": base.mask_source,
        "image_sha256": base.image_sha256,
        "mask_sha256": base.mask_sha256,
        "source_sha256": base.source_sha256,
        "model": {"name": base.model_name, "version": base.model_version, "checksum": base.model_checksum},
        "applied_by": _user(base.applied_by),
        "applied_at": base.applied_at.isoformat(),
        "withdrawn_by": _user(base.withdrawn_by),
        "withdrawn_at": base.withdrawn_at.isoformat() if base.withdrawn_at else None,
        "mask_url": f"/api/repaired-bases/{base.pk}/mask.png",
        "image_url": f"/api/repaired-bases/{base.pk}/image.png",
    }


def active_base(photo) -> RepairedBase | None:
    """The photo's repaired base that runs colour now (None: the original)."""
    photo_id = photo.pk if isinstance(photo, Photo) else photo
    return RepairedBase.objects.filter(photo_id=photo_id, withdrawn_at__isnull=True).first()


def state_json(photo: Photo) -> dict:
    mask = RepairMask.objects.select_related("updated_by").filter(photo=photo).first()
    scan = DamageScan.objects.select_related("requested_by").filter(photo=photo).first()
    bases = RepairedBase.objects.filter(photo=photo).select_related("applied_by", "withdrawn_by")
    active = next((b for b in bases if b.active), None)
    return {
        "photo": photo.pk,
        "width": photo.width,
        "height": photo.height,
        "mask": mask_json(mask),
        "scan": scan_json(scan) if scan else None,
        "bases": [base_json(b) for b in bases],
        "active_base": active.pk if active else None,
    }


# ---------------------------------------------------------------------------------------------------------
# Checks


def _conflict(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status_code=409)


def check_can_repair(user, photo: Photo) -> None:
    """Curators and above, on a photo whose working image exists (409 while it is still being processed)."""
    check_role(user, photo.collection, Role.CURATOR)
    if photo.derivatives_status != DerivativeStatus.READY or not photo.gray:
        raise _conflict("photo_processing", _("the photo is still being processed; try again in a moment"))


def _revision(data) -> int:
    value = data.get("revision")
    if value in (None, ""):
        raise invalid({"revision": _("give the mask revision you previewed")})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid({"revision": _("must be an integer")}) from None


def check_stroke(data, width: int, height: int) -> dict:
    """{"action": "add"|"remove", "points": [[x, y], ...] (working-image pixels), "radius": 1..200}."""
    action = data.get("action")
    if action not in StrokeAction.values:
        raise invalid({"action": _("use add or remove")})
    points = data.get("points")
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_STROKE_POINTS:
        raise invalid({"points": _("give 1 to %(n)d points [x, y]") % {"n": MAX_STROKE_POINTS}})
    cleaned = []
    for point in points:
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        ):
            raise invalid({"points": _("each point is [x, y] in pixels")})
        x, y = float(point[0]), float(point[1])
        if not (0 <= x < width and 0 <= y < height):
            raise invalid(
                {"points": _("a point lies outside the photo (%(w)d x %(h)d)") % {"w": width, "h": height}}
            )
        cleaned.append([round(x, 2), round(y, 2)])
    radius = data.get("radius", 3)
    if isinstance(radius, bool) or not isinstance(radius, int) or not 1 <= radius <= MAX_STROKE_RADIUS:
        raise invalid({"radius": _("an integer from 1 to %(n)d") % {"n": MAX_STROKE_RADIUS}})
    return {"action": action, "points": cleaned, "radius": radius}


def read_mask_upload(upload, width: int, height: int) -> np.ndarray:
    """An uploaded mask: an 8-bit grayscale PNG of exactly width x height (255 = damaged). Returns (H,W) bool."""
    try:
        with Image.open(upload) as image:
            if image.format != "PNG":
                raise invalid({"mask": _("the mask must be a PNG")})
            if image.mode not in ("L", "1"):
                raise invalid(
                    {
                        "mask": _("the mask must be an 8-bit grayscale PNG (mode %(mode)s given)")
                        % {"mode": image.mode}
                    }
                )
            if image.size != (width, height):
                raise invalid(
                    {
                        "mask": _("the mask is %(w)d x %(h)d; the photo's working image is %(pw)d x %(ph)d")
                        % {"w": image.width, "h": image.height, "pw": width, "ph": height}
                    }
                )
            image.load()
            return np.asarray(image.convert("L")) >= 128
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - anything Pillow cannot read is the client's bad file
        raise invalid({"mask": _("the mask is not a readable PNG")}) from None


def check_mask_content(mask: np.ndarray) -> None:
    if not mask.any():
        raise invalid({"mask": _("the mask is empty: nothing to repair")})
    if mask.all():
        raise invalid({"mask": _("the mask covers the whole photo: a repair would invent every pixel")})


# ---------------------------------------------------------------------------------------------------------
# Masks: files and rendering


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def mask_png(mask: np.ndarray) -> bytes:
    """(H,W) bool -> 8-bit PNG bytes, 255 = damaged."""
    return png_bytes(np.where(mask, 255, 0).astype(np.uint8))


def load_mask(field_file) -> np.ndarray:
    with field_file.open("rb") as handle, Image.open(handle) as image:
        return np.asarray(image.convert("L")) >= 128


def paint(mask: np.ndarray, stroke) -> np.ndarray:
    """Paint one stroke (a polyline of width 2r+1 with round ends) onto a copy of mask (H,W) bool."""
    layer = Image.new("L", (mask.shape[1], mask.shape[0]), 0)
    draw = ImageDraw.Draw(layer)
    r = stroke.radius
    points = [tuple(p) for p in stroke.points]
    if len(points) > 1:
        draw.line(points, fill=255, width=2 * r + 1)
    for x, y in points:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    touched = np.asarray(layer) > 0
    return (mask | touched) if stroke.action == StrokeAction.ADD else (mask & ~touched)


def render(repair_mask: RepairMask) -> np.ndarray:
    """The mask of the current generation: its base with every live stroke painted in order."""
    if repair_mask.base:
        mask = load_mask(repair_mask.base)
    else:
        mask = np.zeros((repair_mask.height, repair_mask.width), bool)
    strokes = repair_mask.strokes.filter(generation=repair_mask.generation, undone_at__isnull=True)
    for stroke in strokes.order_by("id"):
        mask = paint(mask, stroke)
    return mask


def _locked_mask(photo: Photo) -> RepairMask:
    """The photo's mask row, locked for this transaction (created empty the first time)."""
    RepairMask.objects.get_or_create(photo=photo, defaults={"width": photo.width, "height": photo.height})
    return RepairMask.objects.select_for_update().get(photo=photo)


def _store(repair_mask: RepairMask, mask: np.ndarray, user) -> None:
    """Write the rendered mask as a new file of a new revision (the old file goes after the commit)."""
    old = repair_mask.mask.name if repair_mask.mask else ""
    storage = repair_mask.mask.storage
    repair_mask.revision += 1
    repair_mask.mask.save(
        f"mask-r{repair_mask.revision}-{uuid.uuid4().hex[:8]}.png", ContentFile(mask_png(mask)), save=False
    )
    repair_mask.pixels = int(mask.sum())
    repair_mask.updated_by = user
    repair_mask.updated_at = timezone.now()
    repair_mask.save()
    if old:
        transaction.on_commit(lambda: _delete_quietly(storage, old))


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not delete %s: %s", name, exc)


def _new_base(repair_mask: RepairMask, mask: np.ndarray, source: str, user, scan=None) -> None:
    """Start a new generation from a whole mask (a scan's or an upload): earlier strokes stay in the log."""
    old = repair_mask.base.name if repair_mask.base else ""
    storage = repair_mask.base.storage
    repair_mask.generation += 1
    repair_mask.base_source = source
    repair_mask.scan = scan
    repair_mask.base.save(
        f"base-g{repair_mask.generation}-{uuid.uuid4().hex[:8]}.png", ContentFile(mask_png(mask)), save=False
    )
    if old:
        transaction.on_commit(lambda: _delete_quietly(storage, old))
    _store(repair_mask, mask, user)


# ---------------------------------------------------------------------------------------------------------
# Mask edits


def do_add_stroke(user, photo: Photo, data) -> tuple[RepairMask, RepairStroke]:
    """Paint (add) or erase (remove) one stroke on the photo's draft mask: a new revision, logged."""
    check_can_repair(user, photo)
    cleaned = check_stroke(data, photo.width, photo.height)
    with transaction.atomic():
        repair_mask = _locked_mask(photo)
        stroke = RepairStroke.objects.create(
            repair_mask=repair_mask,
            generation=repair_mask.generation,
            revision=repair_mask.revision + 1,
            created_by=user,
            **cleaned,
        )
        _store(repair_mask, render(repair_mask), user)
        _mask_event(repair_mask, stroke)
    return repair_mask, stroke


def _mask_event(
    repair_mask: RepairMask, stroke: RepairStroke | None = None, kind: str = "repair.mask"
) -> None:
    """Tell the photo's room, after the commit: everyone's panel shows the new mask revision (room events)."""
    event = {"type": kind, "mask": mask_json(repair_mask)}
    if stroke is not None:
        event["stroke"] = stroke_json(stroke)
    events.broadcast(repair_mask.photo_id, event)


def do_undo_stroke(user, photo: Photo) -> tuple[RepairMask, RepairStroke]:
    """Undo the latest live stroke of the current mask (whoever made it: the log says who undid it)."""
    check_can_repair(user, photo)
    with transaction.atomic():
        repair_mask = _locked_mask(photo)
        stroke = (
            repair_mask.strokes.filter(generation=repair_mask.generation, undone_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if stroke is None:
            raise _conflict("nothing_to_undo", _("there is no stroke to undo"))
        stroke.undone_at, stroke.undone_by = timezone.now(), user
        stroke.save(update_fields=["undone_at", "undone_by"])
        _store(repair_mask, render(repair_mask), user)
        _mask_event(repair_mask, stroke, "repair.stroke_undone")
    return repair_mask, stroke


def do_upload_mask(user, photo: Photo, upload) -> RepairMask:
    """Replace the draft mask by an uploaded 8-bit PNG of the working image's size (`--mask-in` of the CLI)."""
    check_can_repair(user, photo)
    if upload is None:
        raise invalid({"mask": _("attach the mask as an 8-bit PNG file")})
    mask = read_mask_upload(upload, photo.width, photo.height)
    check_mask_content(mask)
    with transaction.atomic():
        repair_mask = _locked_mask(photo)
        _new_base(repair_mask, mask, "upload", user)
        _mask_event(repair_mask)
    return repair_mask


# ---------------------------------------------------------------------------------------------------------
# Find damage (a background job, with the run lifecycle's claim, progress and cancel)


def _fail_lost_scans(photo: Photo) -> None:
    """Scans whose job was lost (queued, never claimed) or whose worker died (running, no heartbeat) for longer
    than RUN_STALE_SECONDS: failed, so they no longer block a new search. One conditional UPDATE each."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_STALE_SECONDS)  # the runs' staleness rule
    scans = DamageScan.objects.filter(photo=photo)
    scans.filter(status=RunStatus.QUEUED, created_at__lt=cutoff).update(
        status=RunStatus.FAILED, finished_at=now, error="the job was lost before a worker took it"
    )
    scans.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).update(
        status=RunStatus.FAILED, finished_at=now, claim="", error="the worker stopped during the search"
    )


def do_find_damage(user, photo: Photo) -> DamageScan:
    check_can_repair(user, photo)
    with transaction.atomic():
        Photo.objects.select_for_update().filter(pk=photo.pk).first()
        _fail_lost_scans(photo)
        if DamageScan.objects.active().filter(photo=photo).exists():
            raise _conflict("scan_running", _("damage is already being searched for on this photo"))
        scan = DamageScan.objects.create(photo=photo, requested_by=user)
        events.broadcast(photo.pk, {"type": "repair.scan", "scan": scan_json(scan)})
    jobs.enqueue(SCAN_JOB, scan.pk)
    return scan


def do_cancel_scan(user, scan: DamageScan) -> DamageScan:
    check_role(user, scan.photo.collection, Role.CURATOR)
    changed = DamageScan.objects.filter(pk=scan.pk, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), error=f"cancelled by {user.username}"
    )
    scan.refresh_from_db()
    if not changed:
        raise _conflict(
            "scan_finished", _("the search is already %(status)s") % {"status": RunStatus(scan.status).label}
        )
    events.send_safely(scan.photo_id, {"type": "repair.scan", "scan": scan_json(scan)})
    return scan


class _ScanReporter:
    """The detector's progress and cancel callbacks (throttled DB reads and writes)."""

    def __init__(self, scan_id: int, token: str):
        self.scan_id, self.token = scan_id, token
        self.last_write = self.last_check = 0.0
        self.last_percent = -1
        self.cancelled = False

    def progress(self, fraction: float) -> None:
        percent = min(99, int(max(0.0, min(1.0, float(fraction))) * 100))
        now = time.monotonic()
        if percent <= self.last_percent or (now - self.last_write < 0.5 and percent < 99):
            return
        self.last_write, self.last_percent = now, percent
        DamageScan.objects.filter(pk=self.scan_id, claim=self.token).update(
            progress=percent, heartbeat_at=timezone.now()
        )

    def cancel(self) -> bool:
        if self.cancelled:
            return True
        now = time.monotonic()
        if now - self.last_check < 0.25:
            return False
        self.last_check = now
        current = DamageScan.objects.filter(pk=self.scan_id).values_list("status", "claim").first()
        self.cancelled = current is None or current[0] != RunStatus.RUNNING or current[1] != self.token
        return self.cancelled


def execute_scan(scan_id: int) -> str:
    """The job: run the detector on the photo's working image; the found mask becomes its draft mask.
    Idempotent: only the delivery that claims the queued scan works on it."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = DamageScan.objects.filter(pk=scan_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, claim=token, started_at=now, heartbeat_at=now, progress=0
    )
    if not claimed:
        return DamageScan.objects.filter(pk=scan_id).values_list("status", flat=True).first() or "gone"
    scan = DamageScan.objects.select_related("photo", "requested_by").get(pk=scan_id)
    reporter = _ScanReporter(scan_id, token)
    try:
        import ml

        repairer = model.get_repairer()
        gray = model.load_gray(scan.photo)
        try:
            prob = repairer.detect(gray, progress=reporter.progress, cancel=reporter.cancel)
        except ml.Cancelled:
            return RunStatus.CANCELLED
        if reporter.cancel():
            return RunStatus.CANCELLED
        mask = repairer.mask_from_prob(prob)
        with transaction.atomic():
            done = DamageScan.objects.filter(pk=scan_id, claim=token, status=RunStatus.RUNNING).update(
                status=RunStatus.DONE,
                progress=100,
                finished_at=timezone.now(),
                pixels=int(mask.sum()),
                model_name=repairer.model_name,
                model_version=repairer.model_version,
                model_checksum=repairer.checksum,
            )
            if not done:
                return DamageScan.objects.filter(pk=scan_id).values_list("status", flat=True).first()
            scan.refresh_from_db()
            scan.mask.save(f"scan-{scan.pk}.png", ContentFile(mask_png(mask)), save=True)
            repair_mask = _locked_mask(scan.photo)
            _new_base(repair_mask, mask, "detector", scan.requested_by, scan=scan)
            events.broadcast(scan.photo_id, {"type": "repair.scan", "scan": scan_json(scan)})
            _mask_event(repair_mask)
        return RunStatus.DONE
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the scan
        log.exception("damage scan %s failed", scan_id)
        DamageScan.objects.filter(pk=scan_id, claim=token, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:5000]
        )
        return RunStatus.FAILED


# ---------------------------------------------------------------------------------------------------------
# Preview, apply, undo


def _current_mask(photo: Photo, revision: int) -> tuple[RepairMask, np.ndarray]:
    repair_mask = RepairMask.objects.filter(photo=photo).first()
    if repair_mask is None or not repair_mask.mask:
        raise invalid({"mask": _("the mask is empty: nothing to repair")})
    if repair_mask.revision != revision:
        raise _conflict(
            "mask_changed",
            _("the mask changed (revision %(now)d, you have %(yours)d); preview it again")
            % {"now": repair_mask.revision, "yours": revision},
        )
    return repair_mask, load_mask(repair_mask.mask)


def preview_png(user, photo: Photo, data) -> bytes:
    """The repaired working image (8-bit gray PNG, the size of photo.gray) of the given mask revision."""
    check_can_repair(user, photo)
    repair_mask, mask = _current_mask(photo, _revision(data))
    check_mask_content(mask)
    with photo.gray.open("rb") as handle, Image.open(handle) as image:
        gray = model.gray_array(image, turn=False)
    if gray.shape != mask.shape:
        raise _conflict("mask_size", _("the mask does not fit the working image; find damage again"))
    return png_bytes(_repairer().repair(gray, mask))


def _repairer():
    """The model gateway's repairer, or 503 when its checkpoint is missing or fails its checksum."""
    from ml.checkpoint import CheckpointError

    try:
        return model.get_repairer()
    except (CheckpointError, OSError) as exc:
        log.error("the repair model is unavailable: %s", exc)
        raise ServiceError(
            "model_unavailable", _("the repair model is not available on this server"), status_code=503
        ) from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def do_apply(user, photo: Photo, data) -> RepairedBase:
    """Apply the previewed mask revision: a new repaired base, recorded; the previous active one is withdrawn.
    Of two people applying the same revision, one wins and the other gets 409 (the mask row is locked)."""
    from colorize.services.provenance import file_sha256

    check_can_repair(user, photo)
    revision = _revision(data)
    repair_mask, mask = _current_mask(photo, revision)
    check_mask_content(mask)
    if repair_mask.applied_revision == revision:
        raise _conflict("already_applied", _("this mask is already applied"))
    if file_sha256(photo.original) != photo.sha256:
        raise _conflict("original_changed", _("the original's bytes no longer match its recorded SHA-256"))
    repairer = _repairer()
    gray = model.load_gray(photo)
    if gray.shape != mask.shape:
        raise _conflict("mask_size", _("the mask does not fit the working image; find damage again"))
    repaired = repairer.repair(gray, mask)
    if not np.array_equal(repaired[~mask], gray[~mask]):  # ml.repair's guarantee, kept on the record
        raise RuntimeError("the repairer changed pixels outside the mask")
    image_png, mask_bytes = png_bytes(repaired), mask_png(mask)
    pixels = int(mask.sum())
    written = []
    try:
        with transaction.atomic():
            locked = RepairMask.objects.select_for_update().get(pk=repair_mask.pk)
            if locked.revision != revision:
                raise _conflict("mask_changed", _("the mask changed while you applied it; preview it again"))
            if locked.applied_revision == revision:
                raise _conflict("already_applied", _("someone else applied this mask just now"))
            now = timezone.now()
            RepairedBase.objects.filter(photo=photo, withdrawn_at__isnull=True).update(
                withdrawn_at=now, withdrawn_by=user
            )
            number = (RepairedBase.objects.filter(photo=photo).aggregate(n=Max("number"))["n"] or 0) + 1
            base = RepairedBase(
                photo=photo,
                number=number,
                image_sha256=_sha256(image_png),
                mask_sha256=_sha256(mask_bytes),
                mask_revision=revision,
                mask_source=locked.base_source,
                width=mask.shape[1],
                height=mask.shape[0],
                pixels=pixels,
                share=pixels / mask.size,
                model_name=repairer.model_name,
                model_version=repairer.model_version,
                model_checksum=repairer.checksum,
                source_sha256=photo.sha256,
                applied_by=user,
                applied_at=now,
            )
            base.image.save(f"base-{number}-{uuid.uuid4().hex[:8]}.png", ContentFile(image_png), save=False)
            written.append((base.image.storage, base.image.name))
            base.mask.save(
                f"base-{number}-mask-{uuid.uuid4().hex[:8]}.png", ContentFile(mask_bytes), save=False
            )
            written.append((base.mask.storage, base.mask.name))
            base.save()
            locked.applied_revision = revision
            locked.save(update_fields=["applied_revision"])
            events.broadcast(photo.pk, {"type": "repair.applied", "base": base_json(base)})
    except (ServiceError, IntegrityError) as exc:
        for storage, name in written:
            _delete_quietly(storage, name)
        if isinstance(exc, IntegrityError):
            raise _conflict("already_applied", _("someone else applied a repair just now")) from None
        raise
    return base


def do_undo_repair(user, photo: Photo) -> RepairedBase:
    """Withdraw the active repaired base: runs colour the original again; versions keep the base they used."""
    check_role(user, photo.collection, Role.CURATOR)
    with transaction.atomic():
        Photo.objects.select_for_update().filter(pk=photo.pk).first()
        base = RepairedBase.objects.select_for_update().filter(photo=photo, withdrawn_at__isnull=True).first()
        if base is None:
            raise _conflict("no_repair", _("the photo has no applied repair to undo"))
        base.withdrawn_at, base.withdrawn_by = timezone.now(), user
        base.save(update_fields=["withdrawn_at", "withdrawn_by"])
        RepairMask.objects.filter(photo=photo).update(applied_revision=None)
        events.broadcast(photo.pk, {"type": "repair.undone", "base": base_json(base)})
    return base


# ---------------------------------------------------------------------------------------------------------
# IIIF


def iiif_annotations(photo: Photo, page_id: str, canvas: str, absolute) -> list[dict]:
    """W3C annotations of the photo's repairs that matter to its readers: the base of its published version and
    its active base. Each carries the mask (an 8-bit PNG, 255 = repaired: those pixels are invented, not
    original detail) and names the model and the share of pixels. `absolute(url)` makes a URL absolute."""
    from colorize.access import published_version

    bases = []
    published = published_version(photo)
    if published is not None and published.run.base_id:
        bases.append(published.run.base)
    current = active_base(photo)
    if current is not None and all(b.pk != current.pk for b in bases):
        bases.append(current)
    items = []
    for base in bases:
        text = (
            f"Repaired before colour: {base.share * 100:.2f}% of the pixels ({base.pixels}), marked as damage, "
            f"were filled by the model {base.model_name} {base.model_version}. They are invented, not original "
            f"detail; the mask shows where (white = repaired)."
        )
        items.append(
            {
                "id": f"{page_id}#repair-{base.number}",
                "type": "Annotation",
                "motivation": "describing",
                "created": base.applied_at.isoformat(),
                "creator": {
                    "type": "Person",
                    "nickname": base.applied_by.username if base.applied_by_id else "?",
                },
                "body": [
                    {"type": "TextualBody", "purpose": "describing", "value": text, "language": "en"},
                    {
                        "id": absolute(f"/api/repaired-bases/{base.pk}/mask.png"),
                        "type": "Image",
                        "format": "image/png",
                        "width": base.width,
                        "height": base.height,
                        "label": {"en": [f"repair mask {base.number}"]},
                    },
                ],
                "target": canvas,
            }
        )
    return items
