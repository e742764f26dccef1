"""The draft repair mask of a photo (docs/repair.md): strokes painted and undone, an uploaded mask, the mask
files of each revision and generation, and the mask events to the photo's room.

Masks are 8-bit PNGs the size of the photo's working image (photo.width x photo.height, the size of its gray
derivative), 255 = damaged, 0 = original.
"""

import io
import logging
import uuid
from dataclasses import dataclass

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from archive.models import Photo
from colorize.models import RepairMask, RepairStroke, StrokeAction
from colorize.services import events
from colorize.services.hint_input import clean_request_id
from colorize.services.repair import check_can_repair, conflict, mask_json, stroke_json
from config.api import ServiceError, invalid
from config.storage import delete_quietly

log = logging.getLogger(__name__)

MAX_STROKE_POINTS = 2000
MAX_STROKE_RADIUS = 200


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


def locked_mask(photo: Photo) -> RepairMask:
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
        transaction.on_commit(lambda: delete_quietly(storage, old))


def new_base(repair_mask: RepairMask, mask: np.ndarray, source: str, user, scan=None) -> None:
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
        transaction.on_commit(lambda: delete_quietly(storage, old))
    _store(repair_mask, mask, user)


# ---------------------------------------------------------------------------------------------------------
# Mask edits


@dataclass(frozen=True)
class StrokeChange:
    """What a stroke write did: the mask after it, the stroke painted or undone, and whether this was a frame
    sent again (same person, same request_id) that changed nothing and answers with what the first one did."""

    repair_mask: RepairMask
    stroke: RepairStroke
    duplicate: bool = False


def do_add_stroke(user, photo: Photo, data, request_id=None) -> StrokeChange:
    """Paint (add) or erase (remove) one stroke on the photo's draft mask: a new revision, logged. From REST or a
    room frame (colorize/services/repair_room.py, whose request_id the event carries). A request_id already
    used by this person on this mask paints nothing again (idempotent retries, as for hints)."""
    check_can_repair(user, photo)
    request_id = clean_request_id(request_id)
    cleaned = check_stroke(data, photo.width, photo.height)
    with transaction.atomic():
        repair_mask = locked_mask(photo)
        if request_id is not None:
            earlier = repair_mask.strokes.filter(created_by=user, request_id=request_id).first()
            if earlier is not None:
                return StrokeChange(repair_mask, earlier, duplicate=True)
        stroke = RepairStroke.objects.create(
            repair_mask=repair_mask,
            generation=repair_mask.generation,
            revision=repair_mask.revision + 1,
            created_by=user,
            request_id=request_id or "",
            **cleaned,
        )
        _store(repair_mask, render(repair_mask), user)
        mask_event(repair_mask, stroke, request_id=request_id)
    return StrokeChange(repair_mask, stroke)


def mask_event(
    repair_mask: RepairMask, stroke: RepairStroke | None = None, kind: str = "repair.mask", request_id=None
) -> None:
    """Tell the photo's room, after the commit: everyone's panel shows the new mask revision (room events). A
    change made by a room frame carries its request_id (None from REST and jobs)."""
    event = {"type": kind, "mask": mask_json(repair_mask), "request_id": request_id}
    if stroke is not None:
        event["stroke"] = stroke_json(stroke)
    events.broadcast(repair_mask.photo_id, event)


def do_undo_stroke(user, photo: Photo, request_id=None) -> StrokeChange:
    """Undo the latest live stroke of the current mask (whoever made it: the log says who undid it). An undo
    frame sent again with the same request_id undoes nothing more: it answers with the stroke it undid."""
    check_can_repair(user, photo)
    request_id = clean_request_id(request_id)
    with transaction.atomic():
        repair_mask = locked_mask(photo)
        if request_id is not None:
            earlier = repair_mask.strokes.filter(undone_by=user, undo_request_id=request_id).first()
            if earlier is not None:
                return StrokeChange(repair_mask, earlier, duplicate=True)
        stroke = (
            repair_mask.strokes.filter(generation=repair_mask.generation, undone_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if stroke is None:
            raise conflict("nothing_to_undo", _("there is no stroke to undo"))
        stroke.undone_at, stroke.undone_by = timezone.now(), user
        stroke.undo_request_id = request_id or ""
        stroke.save(update_fields=["undone_at", "undone_by", "undo_request_id"])
        _store(repair_mask, render(repair_mask), user)
        mask_event(repair_mask, stroke, "repair.stroke_undone", request_id=request_id)
    return StrokeChange(repair_mask, stroke)


def do_upload_mask(user, photo: Photo, upload) -> RepairMask:
    """Replace the draft mask by an uploaded 8-bit PNG of the working image's size (`--mask-in` of the CLI)."""
    check_can_repair(user, photo)
    if upload is None:
        raise invalid({"mask": _("attach the mask as an 8-bit PNG file")})
    mask = read_mask_upload(upload, photo.width, photo.height)
    check_mask_content(mask)
    with transaction.atomic():
        repair_mask = locked_mask(photo)
        new_base(repair_mask, mask, "upload", user)
        mask_event(repair_mask)
    return repair_mask
