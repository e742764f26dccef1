"""Hint services: the one code path for the WebSocket room and the REST API.

check_* validate and authorize; do_* mutate. Every do_* runs in one transaction that
1. locks the photo row (select_for_update: writes to one photo's hints are serialized, so room revisions are
   gapless and strictly increasing; SQLite serializes writers anyway),
2. returns the original result when the (photo, actor, request_id) was already applied (idempotent retries),
3. rejects a write that names a stale hint revision with StaleRevision carrying the current hint,
4. appends a HintEvent and broadcasts its frame to the room only after the commit.
"""

import math
import re
from dataclasses import dataclass
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive import languages
from archive.access import NotFound, check_role
from archive.models import Photo
from colorize.models.hints import (
    MAX_NOTE,
    MAX_RADIUS,
    MAX_SOURCE,
    MAX_STROKE_POINTS,
    MAX_URL,
    MAX_WIDTH,
    Hint,
    HintEvent,
    HintShape,
    HintStatus,
    room_revision,
)
from colorize.serializers import hint_json
from colorize.services import events
from config.api import ServiceError, fields_message

COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")  # used with fullmatch: "$" would let a trailing newline through
MAX_REQUEST_ID = 100
HINT_FIELDS = {
    "x",
    "y",
    "shape",
    "radius",
    "points",
    "width",
    "color",
    "evidence_note",
    "evidence_note_lang",
    "evidence_source",
    "evidence_url",
}
EVIDENCE_FIELDS = {"evidence_note", "evidence_note_lang", "evidence_source", "evidence_url"}
GEOMETRY_FIELDS = {"x", "y", "shape", "radius", "points", "width", "color"}


class StaleRevision(ServiceError):
    """A write named a hint revision that is no longer current; `current` is the hint as it is now."""

    def __init__(self, hint: Hint, expected):
        super().__init__(
            "stale",
            _("hint %(id)s is at revision %(revision)s, not %(expected)s: reload it and try again")
            % {"id": hint.pk, "revision": hint.revision, "expected": expected},
            status_code=409,
        )
        self.current = hint_json(hint)


@dataclass
class HintChange:
    """The result of a write: the event it appended (or the one a retried request_id had appended)."""

    event: HintEvent
    duplicate: bool = False

    @property
    def hint(self) -> dict:
        return self.event.after

    @property
    def room_revision(self) -> int:
        return self.event.room_revision

    def frame(self) -> dict:
        return self.event.to_frame()


# ---------------------------------------------------------------------------------------------- validation


def _number(data: dict, key: str, errors: dict, lo: float, hi: float, lo_open: bool = False):
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[key] = [_("must be a number")]
        return None
    if value < lo or value > hi or (lo_open and value <= lo):
        errors[key] = [_("must be in %(interval)s") % {"interval": f"{'(' if lo_open else '['}{lo}, {hi}]"}]
        return None
    return float(value)


def _text(data: dict, key: str, errors: dict, max_length: int):
    value = data[key]
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = [_("must be a string")]
        return None
    if len(value) > max_length:
        errors[key] = [_("at most %(max)s characters") % {"max": max_length}]
        return None
    return value.strip()


def _color(color, errors: dict):
    if not isinstance(color, str) or not COLOR_RE.fullmatch(color):
        errors["color"] = [_('must be an sRGB hex colour like "#b22222"')]
        return None
    return color.lower()


def _is_point(point) -> bool:
    return (
        isinstance(point, list | tuple)
        and len(point) == 2
        and not any(
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in point
        )
    )


def _points(points, errors: dict):
    """A stroke's polyline as [[x, y], ...] (None: invalid, the reason is in errors)."""
    if points is None:
        return []
    if not isinstance(points, list) or len(points) > MAX_STROKE_POINTS:
        errors["points"] = [_("must be a list of at most %(max)s [x, y] pairs") % {"max": MAX_STROKE_POINTS}]
        return None
    if not all(_is_point(point) for point in points):
        errors["points"] = [_("each point must be [x, y] with numbers")]
        return None
    if not all(0.0 <= v <= 1.0 for point in points for v in point):
        errors["points"] = [_("point coordinates must be in [0, 1]")]
        return None
    return [[float(x), float(y)] for x, y in points]


def _url(data: dict, errors: dict):
    url = _text(data, "evidence_url", errors, MAX_URL)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors["evidence_url"] = [_("must be an http(s) URL")]
            return None
    return url


def _check_shape(data: dict, clean: dict, errors: dict, partial: bool) -> None:
    """A new hint names what its shape needs; a stroke has at least 2 points."""
    if not partial:
        shape = clean.get("shape") or ("stroke" if clean.get("points") else "point")
        clean["shape"] = shape
        required = ["color"] + (["points"] if shape == "stroke" else ["x", "y"])
        for key in required:
            if key not in data and key not in errors:
                errors[key] = [_("this field is required")]
    if clean.get("shape") == "stroke" or ("points" in clean and clean.get("shape") != "point"):
        if "points" in clean and clean["points"] is not None and len(clean["points"]) < 2:
            if "points" not in errors:
                errors["points"] = [_("a stroke needs at least 2 points")]


def clean_hint_data(data, *, partial: bool) -> dict:
    """Validate hint fields (the same for REST bodies and socket frames). Raises ServiceError("invalid").

    A point needs x, y, color (radius defaults to 0.01). A stroke needs `points` (the whole polyline, >= 2
    points) and color; its x, y become the first point.
    """
    if not isinstance(data, dict):
        raise ServiceError(
            "invalid", _("hint must be a JSON object"), fields={"hint": [_("must be an object")]}
        )
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - HINT_FIELDS)
    if unknown:
        errors.update({key: [_("unknown field")] for key in unknown})
    clean: dict = {}
    for key in ("x", "y"):
        if key in data:
            clean[key] = _number(data, key, errors, 0.0, 1.0)
    if "radius" in data:
        clean["radius"] = _number(data, "radius", errors, 0.0, MAX_RADIUS, lo_open=True)
    if "width" in data:
        clean["width"] = _number(data, "width", errors, 0.0, MAX_WIDTH, lo_open=True)
    if "color" in data:
        clean["color"] = _color(data["color"], errors)
    if "shape" in data:
        if data["shape"] not in HintShape.values:
            errors["shape"] = [_("must be one of %(values)s") % {"values": ", ".join(HintShape.values)}]
        else:
            clean["shape"] = data["shape"]
    if "points" in data:
        clean["points"] = _points(data["points"], errors)
    if "evidence_note" in data:
        clean["evidence_note"] = _text(data, "evidence_note", errors, MAX_NOTE)
    if data.get("evidence_note_lang") not in (None, ""):
        tag = languages.normalize_tag(data["evidence_note_lang"])
        if tag is None:
            errors["evidence_note_lang"] = [_("not a language tag (e.g. ko, en, und)")]
        clean["evidence_note_lang"] = tag
    elif isinstance(clean.get("evidence_note"), str):  # a new note without a chosen language: detect it
        clean["evidence_note_lang"] = languages.detect(clean["evidence_note"])
    if "evidence_source" in data:
        clean["evidence_source"] = _text(data, "evidence_source", errors, MAX_SOURCE)
    if "evidence_url" in data:
        clean["evidence_url"] = _url(data, errors)
    _check_shape(data, clean, errors, partial)
    if errors:
        raise ServiceError("invalid", fields_message(dict(sorted(errors.items()))), fields=errors)
    return {key: value for key, value in clean.items() if value is not None}


def clean_request_id(request_id):
    if request_id is None:
        return None
    if not isinstance(request_id, str | int) or isinstance(request_id, bool):
        raise ServiceError(
            "invalid", _("request_id must be a string"), fields={"request_id": [_("must be a string")]}
        )
    request_id = str(request_id)
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise ServiceError(
            "invalid",
            _("request_id must be 1 to %(max)s characters") % {"max": MAX_REQUEST_ID},
            fields={"request_id": [_("1 to %(max)s characters") % {"max": MAX_REQUEST_ID}]},
        )
    return request_id


def clean_revision(value):
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ServiceError(
            "invalid",
            _("name the revision of the hint you are editing (a positive integer)"),
            fields={"revision": [_("this field is required: a positive integer")]},
        )
    return value


# ----------------------------------------------------------------------------------------- authorization


def check_can_read(user, photo: Photo) -> Role:
    return check_role(user, photo.collection, Role.VIEWER)


def check_can_edit(user, photo: Photo) -> Role:
    return check_role(user, photo.collection, Role.CURATOR)


def check_can_verify(user, photo: Photo) -> Role:
    return check_role(user, photo.collection, Role.REVIEWER)


def check_can_change(user, hint: Hint) -> Role:
    """Curators change suggested hints; changing or deleting a verified hint takes a reviewer."""
    if hint.is_verified:
        return check_role(user, hint.photo.collection, Role.REVIEWER)
    return check_role(user, hint.photo.collection, Role.CURATOR)


def get_hint(photo: Photo, hint_id) -> Hint:
    try:
        hint_id = int(hint_id)
    except (TypeError, ValueError):
        raise ServiceError(
            "invalid", _("id must be a hint id"), fields={"id": [_("must be an integer")]}
        ) from None
    hint = Hint.objects.select_related("photo__collection").filter(pk=hint_id, photo=photo).first()
    if hint is None:
        raise NotFound()
    return hint


# -------------------------------------------------------------------------------------------- reading


def live_hints(photo_id: int, include_deleted: bool = False) -> list[dict]:
    qs = Hint.objects.filter(photo_id=photo_id).select_related("created_by", "verified_by")
    if not include_deleted:
        qs = qs.live()
    return [hint_json(hint) for hint in qs.order_by("id")]


def room_state(photo_id: int) -> tuple[int, list[dict]]:
    """(room revision, live hints), read in one transaction so they agree."""
    with transaction.atomic():
        return room_revision(photo_id), live_hints(photo_id)


def events_since(photo_id: int, since: int, limit: int = 1000, hint_id: int | None = None) -> list[dict]:
    qs = HintEvent.objects.filter(photo_id=photo_id, room_revision__gt=since)
    if hint_id is not None:
        qs = qs.filter(hint_id=hint_id)
    qs = qs.select_related("actor", "undo_of").order_by("room_revision")[:limit]
    return [event.to_frame() for event in qs]


# -------------------------------------------------------------------------------------------- writing


def _lock_photo(photo: Photo) -> Photo:
    """The photo row, locked for this write; NotFound when it was deleted meanwhile (a room open on it)."""
    locked = (
        Photo.objects.select_for_update(of=("self",)).select_related("collection").filter(pk=photo.pk).first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _lock_hint(hint: Hint) -> Hint:
    """The hint row, locked for this write; NotFound when it (or its photo) was deleted meanwhile."""
    locked = (
        Hint.objects.select_for_update(of=("self",))
        .select_related("photo__collection", "created_by", "verified_by")
        .filter(pk=hint.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _duplicate(photo: Photo, user, request_id) -> HintChange | None:
    if request_id is None:
        return None
    event = (
        HintEvent.objects.select_related("actor", "undo_of")
        .filter(photo=photo, actor=user, request_id=request_id)
        .first()
    )
    return HintChange(event, duplicate=True) if event is not None else None


def _check_revision(hint: Hint, expected) -> None:
    expected = clean_revision(expected)
    if hint.revision != expected:
        raise StaleRevision(hint, expected)


def _record(
    photo: Photo, hint: Hint, user, action, kind, before, request_id, undo_of=None, reload=False
) -> HintChange:
    if reload:
        hint = Hint.objects.select_related("created_by", "verified_by").get(pk=hint.pk)
    event = HintEvent.objects.create(
        photo=photo,
        hint=hint,
        room_revision=room_revision(photo.pk) + 1,
        action=action,
        kind=kind,
        actor=user,
        before=before,
        after=hint_json(hint),
        request_id=request_id,
        undo_of=undo_of,
    )
    change = HintChange(event)  # actor and undo_of are the cached objects: no reload needed
    frame = change.frame()
    events.broadcast(photo.pk, frame)
    events.hint_changed(photo.pk, event.room_revision)  # previews listen (colorize.services.preview)
    return change


def _apply_fields(hint: Hint, clean: dict) -> None:
    if clean.get("points") and clean.get("shape", hint.shape) == HintShape.POINT:
        raise ServiceError(
            "invalid",
            _('points belong to strokes: send "shape": "stroke"'),
            fields={"points": [_("only for strokes")]},
        )
    for key, value in clean.items():
        if key == "color":
            hint.set_color(value)
        else:
            setattr(hint, key, value)
    if hint.shape == HintShape.STROKE:
        if len(hint.points or []) < 2:
            raise ServiceError(
                "invalid", _("a stroke needs at least 2 points"), fields={"points": [_("at least 2 points")]}
            )
        hint.x, hint.y = hint.points[0]
    else:
        hint.points = []


def do_add_hint(user, photo: Photo, data, request_id=None) -> HintChange:
    request_id = clean_request_id(request_id)
    clean = clean_hint_data(data, partial=False)
    with transaction.atomic():
        photo = _lock_photo(photo)
        check_can_edit(user, photo)
        if (dup := _duplicate(photo, user, request_id)) is not None:
            return dup
        hint = Hint(photo=photo, created_by=user, status=HintStatus.SUGGESTED)
        if clean["shape"] == HintShape.STROKE:
            clean.setdefault("x", clean["points"][0][0])
            clean.setdefault("y", clean["points"][0][1])
        _apply_fields(hint, clean)
        hint.save()
        return _record(photo, hint, user, HintEvent.Action.ADD, "hint.added", None, request_id)


def _lock_for_write(user, hint: Hint, expected_revision, request_id, check_writer):
    """Inside a transaction, the start of every write to an existing hint: lock the photo (writes to one photo
    take turns), check the writer with `check_writer(user, photo)`, answer a retried request_id with its earlier
    result, then lock the live hint and check that the write names its current revision.

    Returns (photo, hint, earlier): `earlier` is the recorded change of a retried request (apply nothing), else None.
    """
    photo = _lock_photo(hint.photo)
    check_writer(user, photo)
    if (dup := _duplicate(photo, user, request_id)) is not None:
        return photo, hint, dup
    hint = _lock_hint(hint)
    if hint.is_deleted:
        raise ServiceError("deleted", _("hint %(id)s was deleted") % {"id": hint.pk}, status_code=409)
    _check_revision(hint, expected_revision)
    return photo, hint, None


def _change_hint(user, hint: Hint, expected_revision, request_id, change, action=HintEvent.Action.UPDATE):
    """The one shape of a curator's change to a hint: lock, answer a retried request with its first answer,
    check the role and the revision, `change(hint, before)`, bump the revision, log and broadcast."""
    kind = "hint.deleted" if action == HintEvent.Action.DELETE else "hint.updated"
    with transaction.atomic():
        photo, hint, earlier = _lock_for_write(user, hint, expected_revision, request_id, check_can_edit)
        if earlier is not None:
            return earlier
        check_can_change(user, hint)
        before = hint_json(hint)
        change(hint, before)
        hint.revision += 1
        hint.save()
        return _record(photo, hint, user, action, kind, before, request_id)


def do_update_hint(user, hint: Hint, data, expected_revision, request_id=None) -> HintChange:
    """Move, recolour, re-shape or edit the evidence of a hint.

    Changing the colour or geometry of a verified hint (reviewers only) returns it to "suggested": the
    verification was of the old colour and place. Evidence edits keep it verified but may not empty it.
    """
    request_id = clean_request_id(request_id)
    clean = clean_hint_data(data, partial=True)
    if not clean:
        raise ServiceError("invalid", _("nothing to change"), fields={"hint": [_("name at least one field")]})

    def change(hint: Hint, before: dict) -> None:
        _apply_fields(hint, clean)
        after = hint_json(hint)
        changed = {key for key in clean if before.get(key) != after.get(key)}
        if not changed:
            raise ServiceError("unchanged", _("these values are already the hint's"), status_code=400)
        if hint.is_verified and changed & GEOMETRY_FIELDS:
            hint.status = HintStatus.SUGGESTED
            hint.verified_by = None
            hint.verified_at = None
        elif hint.is_verified and not hint.has_evidence:
            raise ServiceError(
                "evidence_required",
                _("a verified hint keeps its evidence: give a note or a source"),
                fields={"evidence_note": [_("a verified hint needs a note or a source")]},
            )

    return _change_hint(user, hint, expected_revision, request_id, change)


def do_delete_hint(user, hint: Hint, expected_revision, request_id=None) -> HintChange:
    """Soft delete: the hint stays in the database and the log; it leaves the room and the model input."""
    request_id = clean_request_id(request_id)

    def change(hint: Hint, before: dict) -> None:
        hint.deleted_at = timezone.now()

    return _change_hint(user, hint, expected_revision, request_id, change, HintEvent.Action.DELETE)


def do_verify_hint(
    user, hint: Hint, expected_revision, evidence: dict | None = None, verified: bool = True, request_id=None
) -> HintChange:
    """Mark a hint verified (reviewers and owners; it must carry a note or a source), or withdraw that."""
    request_id = clean_request_id(request_id)
    clean = clean_hint_data(evidence or {}, partial=True)
    not_evidence = sorted(set(clean) - EVIDENCE_FIELDS)
    if not_evidence:
        raise ServiceError(
            "invalid",
            _("verifying changes only the evidence; move or recolour with an update first"),
            fields={key: [_("not allowed when verifying")] for key in not_evidence},
        )
    if not isinstance(verified, bool):
        raise ServiceError(
            "invalid", _("verified must be true or false"), fields={"verified": [_("boolean")]}
        )
    with transaction.atomic():
        photo, hint, earlier = _lock_for_write(user, hint, expected_revision, request_id, check_can_verify)
        if earlier is not None:
            return earlier
        before = hint_json(hint)
        _apply_fields(hint, clean)
        if verified:
            if not hint.has_evidence:
                raise ServiceError(
                    "evidence_required",
                    _("verifying needs evidence: a note or a source citation"),
                    fields={"evidence_note": [_("give a note or a source")]},
                )
            hint.status = HintStatus.VERIFIED
            hint.verified_by = user
            hint.verified_at = timezone.now()
            action = HintEvent.Action.VERIFY
        else:
            if not hint.is_verified:
                raise ServiceError(
                    "unchanged", _("hint %(id)s is not verified") % {"id": hint.pk}, status_code=400
                )
            hint.status = HintStatus.SUGGESTED
            hint.verified_by = None
            hint.verified_at = None
            action = HintEvent.Action.UNVERIFY
        hint.revision += 1
        hint.save()
        return _record(photo, hint, user, action, "hint.updated", before, request_id)


MAX_EVIDENCE_IMAGE_BYTES = 10 * 1024 * 1024
EVIDENCE_IMAGE_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}


def check_evidence_image(upload) -> str:
    """A readable JPEG/PNG/WebP/TIFF of at most 10 MiB; returns the file extension."""
    from PIL import Image, UnidentifiedImageError

    if upload is None:
        raise ServiceError(
            "invalid", _("send the image as `image`"), fields={"image": [_("this field is required")]}
        )
    if upload.size > MAX_EVIDENCE_IMAGE_BYTES:
        raise ServiceError(
            "too_large", _("evidence images are at most 10 MiB"), fields={"image": [_("too large")]}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ServiceError(
            "invalid", _("not a readable image"), fields={"image": [_("not a readable image")]}
        ) from None
    finally:
        upload.seek(0)
    if kind not in EVIDENCE_IMAGE_FORMATS:
        raise ServiceError(
            "invalid",
            _("use JPEG, PNG, WebP or TIFF, not %(format)s") % {"format": kind},
            fields={"image": [_("unsupported format")]},
        )
    return EVIDENCE_IMAGE_FORMATS[kind]


def do_set_evidence_image(user, hint: Hint, upload, expected_revision, request_id=None) -> HintChange:
    """Attach (or replace) the hint's reference image: an evidence change like the others, logged and broadcast."""
    request_id = clean_request_id(request_id)
    extension = check_evidence_image(upload)

    def change(hint: Hint, before: dict) -> None:
        hint.evidence_image.save(f"evidence.{extension}", upload, save=False)

    return _change_hint(user, hint, expected_revision, request_id, change)


RESTORED_FIELDS = GEOMETRY_FIELDS | EVIDENCE_FIELDS


def do_undo(user, photo: Photo, event_revision=None, request_id=None) -> HintChange:
    """Undo one event: by default the user's latest event not yet undone; or the event at `event_revision`.

    The inverse is applied as a new event (the log stays append-only): an add is undone by deleting, a
    delete by restoring, an update/verify by restoring the previous values. Refused as stale when the hint
    changed after that event.
    """
    request_id = clean_request_id(request_id)
    if event_revision is not None:
        event_revision = clean_revision(event_revision)
    with transaction.atomic():
        photo = _lock_photo(photo)
        check_can_edit(user, photo)
        if (dup := _duplicate(photo, user, request_id)) is not None:
            return dup
        events_qs = HintEvent.objects.filter(photo=photo).exclude(action=HintEvent.Action.UNDO)
        if event_revision is None:
            target = events_qs.filter(actor=user, undone_by__isnull=True).order_by("-room_revision").first()
            if target is None:
                raise ServiceError(
                    "nothing_to_undo", _("you have nothing left to undo here"), status_code=409
                )
        else:
            target = HintEvent.objects.filter(photo=photo, room_revision=event_revision).first()
            if target is None:
                raise ServiceError(
                    "not_found",
                    _("no event %(revision)s in this room") % {"revision": event_revision},
                    status_code=404,
                )
            if target.action == HintEvent.Action.UNDO:
                raise ServiceError("invalid", _("an undo cannot be undone"), status_code=400)
            if HintEvent.objects.filter(undo_of=target).exists():
                raise ServiceError(
                    "already_undone",
                    _("event %(revision)s was already undone") % {"revision": event_revision},
                    status_code=409,
                )
        hint = _lock_hint(target.hint)
        later = HintEvent.objects.filter(hint=hint, room_revision__gt=target.room_revision)
        if later.exclude(action=HintEvent.Action.UNDO).filter(undone_by__isnull=True).exists():
            # Someone changed the hint after this event (and that change stands): undoing would overwrite it.
            raise StaleRevision(hint, target.after["revision"])
        before = hint_json(hint)
        touches_verified = hint.is_verified or (target.before or {}).get("status") == HintStatus.VERIFIED
        if target.action in (HintEvent.Action.VERIFY, HintEvent.Action.UNVERIFY) or touches_verified:
            check_can_verify(user, photo)
        if target.action == HintEvent.Action.ADD:
            hint.deleted_at = timezone.now()
            kind = "hint.deleted"
        elif target.action == HintEvent.Action.DELETE:
            hint.deleted_at = None
            kind = "hint.added"
        else:
            previous = target.before
            for key in RESTORED_FIELDS:
                if key == "color":
                    hint.set_color(previous["color"])
                else:
                    setattr(hint, key, previous[key])
            if previous["status"] == HintStatus.VERIFIED:
                from django.contrib.auth import get_user_model

                hint.status = HintStatus.VERIFIED
                hint.verified_by = get_user_model().objects.filter(username=previous["verified_by"]).first()
                hint.verified_at = previous["verified_at"]
            else:
                hint.status = HintStatus.SUGGESTED
                hint.verified_by = None
                hint.verified_at = None
            kind = "hint.updated"
        hint.revision += 1
        hint.save()
        return _record(
            photo, hint, user, HintEvent.Action.UNDO, kind, before, request_id, undo_of=target, reload=True
        )
