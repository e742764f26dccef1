"""Hint services: the one code path for the WebSocket room and the REST API.

check_* validate and authorize; do_* mutate. Every do_* runs in one transaction that
1. locks the photo row (select_for_update: writes to one photo's hints are serialized, so room revisions are
   gapless and strictly increasing; SQLite serializes writers anyway),
2. returns the original result when the (photo, actor, request_id) was already applied (idempotent retries),
3. rejects a write that names a stale hint revision with StaleRevision carrying the current hint,
4. appends a HintEvent and broadcasts its frame to the room only after the commit.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive import imaging
from archive.access import NotFound, check_role
from archive.models import Photo
from colorize.models.hints import (
    FENCE_COLOR,
    Hint,
    HintEvent,
    HintShape,
    HintStatus,
    room_revision,
)
from colorize.serializers import hint_json
from colorize.services import events
from colorize.services.hint_input import (
    EVIDENCE_FIELDS,
    GEOMETRY_FIELDS,
    LINE_SHAPES,
    clean_hint_data,
    clean_request_id,
    clean_revision,
)
from config.api import ServiceError, invalid


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
        raise invalid({"id": _("must be an integer")}, message=_("id must be a hint id")) from None
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
        raise invalid(
            {"points": _("only for strokes")}, message=_('points belong to strokes: send "shape": "stroke"')
        )
    for key, value in clean.items():
        if key == "color":
            hint.set_color(value)
        else:
            setattr(hint, key, value)
    if hint.shape == HintShape.FENCE:
        hint.set_color(FENCE_COLOR)
    if hint.shape in LINE_SHAPES:
        if len(hint.points or []) < 2:
            raise invalid({"points": _("at least 2 points")}, message=_("a stroke needs at least 2 points"))
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
        if clean["shape"] in LINE_SHAPES:
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
        raise invalid({"hint": _("name at least one field")}, message=_("nothing to change"))

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
        raise invalid(
            {key: _("not allowed when verifying") for key in not_evidence},
            message=_("verifying changes only the evidence; move or recolour with an update first"),
        )
    if not isinstance(verified, bool):
        raise invalid({"verified": _("boolean")}, message=_("verified must be true or false"))
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


def check_evidence_image(upload) -> str:
    """The evidence image of a write (archive.imaging.check_evidence_upload); returns its file extension."""
    if upload is None:
        raise invalid({"image": _("this field is required")}, message=_("send the image as `image`"))
    try:
        return imaging.check_evidence_upload(upload)
    except imaging.ImageRejected as exc:
        raise ServiceError(
            exc.code, exc.message, fields={"image": [exc.field_message]}, status_code=exc.status_code
        ) from None


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
        target = _undo_target(user, photo, event_revision)
        hint = _lock_hint(target.hint)
        later = HintEvent.objects.filter(hint=hint, room_revision__gt=target.room_revision)
        if later.exclude(action=HintEvent.Action.UNDO).filter(undone_by__isnull=True).exists():
            # Someone changed the hint after this event (and that change stands): undoing would overwrite it.
            raise StaleRevision(hint, target.after["revision"])
        before = hint_json(hint)
        touches_verified = hint.is_verified or (target.before or {}).get("status") == HintStatus.VERIFIED
        if target.action in (HintEvent.Action.VERIFY, HintEvent.Action.UNVERIFY) or touches_verified:
            check_can_verify(user, photo)
        kind = _apply_inverse(hint, target)
        hint.revision += 1
        hint.save()
        return _record(
            photo, hint, user, HintEvent.Action.UNDO, kind, before, request_id, undo_of=target, reload=True
        )


def _undo_target(user, photo: Photo, event_revision: int | None) -> HintEvent:
    """The event an undo names: the user's latest one not yet undone (event_revision None), or the event at
    that room revision, which must exist, not be an undo itself and not be undone already."""
    if event_revision is None:
        target = (
            HintEvent.objects.filter(photo=photo, actor=user, undone_by__isnull=True)
            .exclude(action=HintEvent.Action.UNDO)
            .order_by("-room_revision")
            .first()
        )
        if target is None:
            raise ServiceError("nothing_to_undo", _("you have nothing left to undo here"), status_code=409)
        return target
    target = HintEvent.objects.filter(photo=photo, room_revision=event_revision).first()
    if target is None:
        raise ServiceError(
            "not_found",
            _("no event %(revision)s in this room") % {"revision": event_revision},
            status_code=404,
        )
    if target.action == HintEvent.Action.UNDO:
        raise invalid({}, message=_("an undo cannot be undone"))
    if HintEvent.objects.filter(undo_of=target).exists():
        raise ServiceError(
            "already_undone",
            _("event %(revision)s was already undone") % {"revision": event_revision},
            status_code=409,
        )
    return target


def _apply_inverse(hint: Hint, target: HintEvent) -> str:
    """Change the hint back to what it was before `target` (not saved). Returns the kind of the room frame."""
    if target.action == HintEvent.Action.ADD:
        hint.deleted_at = timezone.now()
        return "hint.deleted"
    if target.action == HintEvent.Action.DELETE:
        hint.deleted_at = None
        return "hint.added"
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
    return "hint.updated"
