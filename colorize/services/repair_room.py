"""Repair mask frames of the photo room (docs/hint-protocol.md, "Repair mask frames"; docs/repair.md): a curator's
brush or eraser stroke and its undo, sent over the room's socket instead of REST. The same service functions as
the REST endpoints (colorize/services/repair_masks.py: who may repair, the stroke's validation and limits, the
log, the `repair.mask` / `repair.stroke_undone` events broadcast after the commit); this module only reads the
frame and builds the sender's `ack`. Synchronous ORM code: the consumer calls it from a thread.

Frames (a `request_id` is required, as for every room write):
- `{"type": "repair.stroke", "request_id", "stroke": {"action": "add"|"remove", "points": [[x, y], ...],
  "radius": 1..200}}`: the body of POST /api/photos/{id}/repair/strokes/ (points in working-image pixels).
- `{"type": "repair.stroke_undo", "request_id"}`: POST /api/photos/{id}/repair/strokes/undo/.
"""

from django.utils.translation import gettext as _

from archive.access import NotFound
from archive.models import Photo
from colorize.services import repair_masks
from colorize.services.repair import mask_json, stroke_json
from config.api import ServiceError, invalid

REPAIR_FRAME_TYPES = {"repair.stroke", "repair.stroke_undo"}


def _photo(photo_id: int, user) -> Photo:
    """The photo with its collection; a member removed meanwhile is told `forbidden`, a deleted photo `not_found`."""
    photo = Photo.objects.select_related("collection").filter(pk=photo_id).first()
    if photo is None:
        raise NotFound()
    if not photo.collection.is_member(user):
        raise ServiceError("forbidden", _("you are no longer a member of this collection"))
    return photo


def check_stroke_frame(frame: dict) -> dict:
    """The frame's `stroke` object (its fields are checked by repair_masks.check_stroke, as REST's body is)."""
    stroke = frame.get("stroke")
    if not isinstance(stroke, dict):
        raise invalid(
            {"stroke": _("an object {action, points, radius}")},
            message=_("%(kind)s needs %(field)s") % {"kind": frame["type"], "field": repr("stroke")},
        )
    return stroke


def write(photo_id: int, user, frame: dict) -> dict:
    """Apply one repair frame through the mask services; -> the sender's `ack`. Everyone in the room (the sender
    included) gets the event the service broadcasts after the commit, carrying the same request_id."""
    request_id = frame.get("request_id")
    if frame["type"] == "repair.stroke":
        photo = _photo(photo_id, user)
        data = check_stroke_frame(frame)
        change = repair_masks.do_add_stroke(user, photo, data, request_id=request_id)
    else:
        photo = _photo(photo_id, user)
        change = repair_masks.do_undo_stroke(user, photo, request_id=request_id)
    return {
        "type": "ack",
        "request_id": request_id,
        "action": frame["type"],
        "mask": mask_json(change.repair_mask),
        "stroke": stroke_json(change.stroke),
        "duplicate": change.duplicate,
    }
