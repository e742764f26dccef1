"""The photo rooms' service side (docs/hint-protocol.md): who may open a room, who is present, the snapshot a
connection starts from (in pages that fit daphne's frame limit), heartbeats that prune dead connections, write
frames applied through the hint services, and colour suggestions. All synchronous ORM code: the consumer
(colorize/consumers.py) calls it from a thread and keeps only the socket protocol and the dispatch.

Presence: one RoomPresence row per open connection, refreshed by the connection's heartbeat. A row whose
heartbeat stopped (the connection ended without its teardown: the process was killed) is pruned once it is
older than ROOM_PRESENCE_TTL_SECONDS, by the heartbeat of anyone in the room (who tells the room it left), and
no people list counts it meanwhile (a snapshot never shows a ghost).
"""

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive.access import NotFound, role_of
from archive.models import Photo
from colorize.models.hints import Hint, HintEvent, RoomPresence, room_revision
from colorize.serializers import HintSerializer
from colorize.services import hints as hint_services
from colorize.services import preview
from config.api import ServiceError, invalid

SNAPSHOT_PAGE_BYTES = 400 * 1024  # daphne refuses messages over 1 MiB: big rooms get their hints in pages
MISSED_EVENTS_LIMIT = 1000  # events a resuming connection gets at most (more: it starts from the snapshot)


def _encode(frame: dict) -> str:
    # default=str: translatable messages (lazy strings from the services) are sent as plain text.
    return json.dumps(frame, separators=(",", ":"), default=str)


def chunks(items: list[dict], max_bytes: int):
    """Consecutive slices of `items` whose JSON stays under max_bytes (at least one item each)."""
    page, size = [], 0
    for item in items:
        length = len(_encode(item)) + 1
        if page and size + length > max_bytes:
            yield page
            page, size = [], 0
        page.append(item)
        size += length
    if page:
        yield page


def user_info(user, role) -> dict:
    return {"id": user.pk, "username": user.get_username(), "role": Role(role).label}


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.ROOM_PRESENCE_TTL_SECONDS)


def people(photo_id: int) -> list[dict]:
    """Who is in the room: one entry per user with their live connections (rows past the TTL do not count)."""
    found: dict[int, dict] = {}
    rows = RoomPresence.objects.filter(photo_id=photo_id, last_seen__gte=_stale_before()).select_related(
        "user"
    )
    for row in rows:
        person = found.setdefault(row.user_id, {**user_info(row.user, row.role), "connections": []})
        person["connections"].append(row.connection)
    return list(found.values())


def prune(photo_id: int) -> list[tuple[dict, str]]:
    """Delete the room's presence rows older than the TTL; -> [(user info, connection)] of those deleted here."""
    pruned = []
    stale = RoomPresence.objects.filter(photo_id=photo_id, last_seen__lt=_stale_before()).select_related(
        "user"
    )
    for row in stale:
        if RoomPresence.objects.filter(pk=row.pk).delete()[0]:  # a concurrent prune may have taken it
            pruned.append((user_info(row.user, row.role), row.connection))
    return pruned


# ------------------------------------------------------------------------------------------- joining


SNAPSHOT_CACHE_SECONDS = 30.0  # a cached snapshot older than this is read again (file URLs may expire)
_snapshots: "OrderedDict[tuple, tuple[float, tuple[int, list[list[dict]]]]]" = OrderedDict()
_snapshot_locks: dict[int, threading.Lock] = {}
_snapshots_lock = threading.Lock()


def _latest(photo_id: int) -> tuple:
    """(room revision, when its event was written): the room's state, as a key. The time tells apart two
    rooms that reached the same revision with the same photo id (a database restored, or reset by tests)."""
    event = (
        HintEvent.objects.filter(photo_id=photo_id)
        .order_by("-room_revision")
        .values_list("room_revision", "created_at")
        .first()
    )
    return event or (0, None)


def _read_state(photo_id: int) -> tuple[tuple, list[dict]]:
    """(the room's state key, live hints as hint_json renders them), read in one transaction so they agree.
    One serializer for the whole list: a serializer per hint (hint_json) cost about 3 ms a hint."""
    with transaction.atomic():
        latest = _latest(photo_id)
        live = Hint.objects.live().filter(photo_id=photo_id).select_related("created_by", "verified_by")
        return latest, [dict(item) for item in HintSerializer(live.order_by("id"), many=True).data]


def room_pages(photo_id: int) -> tuple[int, list[list[dict]]]:
    """(room revision, live hints in pages of at most SNAPSHOT_PAGE_BYTES of JSON).

    The hints of a room at revision R are the same for everyone who joins at R (every hint change makes a new
    revision), so they are read once per revision and process, whoever asks first, while the others wait for
    that read (a wave of joins would otherwise serialize the same hints once each, holding the GIL:
    docs/hint-protocol.md, "Handshakes under load")."""
    with _snapshots_lock:
        lock = _snapshot_locks.setdefault(photo_id, threading.Lock())
    with lock:
        now = time.monotonic()
        cached = _snapshots.get((photo_id, *_latest(photo_id)))
        if cached is not None and now - cached[0] < SNAPSHOT_CACHE_SECONDS:
            return cached[1]
        latest, hints = _read_state(photo_id)
        result = (latest[0], list(chunks(hints, SNAPSHOT_PAGE_BYTES)) or [[]])
        with _snapshots_lock:
            _snapshots[(photo_id, *latest)] = (now, result)
            while len(_snapshots) > 64:
                _snapshots.popitem(last=False)
        return result


def open_room(photo_id: int, user) -> tuple[str, int | None]:
    """-> ("missing"|"forbidden", None) or ("ok", role): may `user` open the photo's room?"""
    photo = Photo.objects.select_related("collection").filter(pk=photo_id).first()
    if photo is None:
        return "missing", None
    if not photo.collection.is_member(user):
        return "forbidden", None
    return "ok", role_of(user, photo.collection)


@dataclass
class Joined:
    """A connection's start: its snapshot, encoded in frames (the first `snapshot`, then `snapshot.hints`
    pages), and what the consumer keeps of it."""

    frames: list[str]
    room_revision: int
    people: list[dict]


def _present(photo_id: int, user, role, channel_name: str, connection: str, now) -> None:
    """The connection's presence row (on joining, and again if a long stall let it be pruned)."""
    RoomPresence.objects.create(
        photo_id=photo_id,
        user=user,
        role=role,
        channel_name=channel_name,
        connection=connection,
        last_seen=now,
    )


def join(photo_id: int, user, role, channel_name: str, connection: str, since: int | None) -> Joined:
    """Record the connection's presence and read the room as it joins it (after it joined the group, so no
    event falls between the snapshot and the stream)."""
    _present(photo_id, user, role, channel_name, connection, timezone.now())
    revision, pages = room_pages(photo_id)
    present = people(photo_id)
    snapshot = {
        "type": "snapshot",
        "photo": photo_id,
        "room_revision": revision,
        "hints": pages[0],
        "hints_complete": len(pages) == 1,
        "people": present,
        "you": {**user_info(user, role), "connection": connection},
    }
    if since is not None:
        snapshot.update(_missed(photo_id, since, revision))
    frames = [_encode(snapshot)]
    for number, page in enumerate(pages[1:], start=2):  # the rest of a big room's hints, before anything else
        frames.append(
            _encode({"type": "snapshot.hints", "page": number, "hints": page, "last": number == len(pages)})
        )
    return Joined(frames, revision, present)


def _missed(photo_id: int, since: int, revision: int) -> dict:
    """The snapshot fields of a resuming connection: the events after `since` that fit in one frame."""
    limit = MISSED_EVENTS_LIMIT
    missed = hint_services.events_since(photo_id, since, limit=limit) if since < revision else []
    fitting = next(chunks(missed, SNAPSHOT_PAGE_BYTES), [])  # what fits in one frame
    complete = len(fitting) == len(missed) and (len(missed) < limit or since >= revision)
    fields = {"since": since, "events": fitting, "events_complete": complete}
    if since > revision:
        fields["resync"] = True  # the client knows a future revision: its state is not ours
    return fields


def leave(photo_id: int, channel_name: str) -> list[dict]:
    """The connection's presence ends; -> who is left."""
    RoomPresence.objects.filter(channel_name=channel_name).delete()
    return people(photo_id)


@dataclass
class Beat:
    member: bool  # False: removed from the collection (or the photo is gone): the connection must leave
    rejoined: bool = False  # our row had been pruned (a long stall): it is back, and the room must hear it
    pruned: tuple = ()  # (user info, connection) of the dead connections pruned by this beat
    people: list | None = None  # who is present, when that changed


def heartbeat(photo_id: int, user, role, channel_name: str, connection: str) -> Beat:
    """Refresh our row, re-check membership, prune dead connections."""
    photo = Photo.objects.select_related("collection").filter(pk=photo_id).first()
    if photo is None or not photo.collection.is_member(user):
        return Beat(member=False)
    now = timezone.now()
    rejoined = not RoomPresence.objects.filter(channel_name=channel_name).update(last_seen=now)
    if rejoined:
        _present(photo_id, user, role, channel_name, connection, now)
    pruned = tuple(prune(photo_id))
    return Beat(True, rejoined, pruned, people(photo_id) if pruned or rejoined else None)


# ------------------------------------------------------------------------------------------- writing


def write(photo_id: int, user, frame: dict) -> dict:
    """Apply one write frame (hint.add/update/delete/verify/undo) through the hint services, the same functions
    as the REST API; -> the `ack` frame. A NotFound says why: the photo is gone (not_found) or the user is no
    longer a member (forbidden)."""
    request_id = frame.get("request_id")
    photo = Photo(pk=photo_id)  # the services lock and load the row themselves
    try:
        change = _apply(frame["type"], request_id, photo, user, frame)
    except NotFound:
        current = Photo.objects.select_related("collection").filter(pk=photo_id).first()
        if current is not None and not current.collection.is_member(user):
            raise ServiceError("forbidden", _("you are no longer a member of this collection")) from None
        raise
    return {
        "type": "ack",
        "request_id": request_id,
        "action": change.event.action,
        "room_revision": change.room_revision,
        "hint": change.hint,
        "duplicate": change.duplicate,
    }


def _apply(kind: str, request_id, photo: Photo, user, frame: dict):
    if kind == "hint.add":
        return hint_services.do_add_hint(user, photo, _require(frame, "hint"), request_id=request_id)
    if kind == "hint.undo":
        return hint_services.do_undo(user, photo, event_revision=frame.get("event"), request_id=request_id)
    hint_id, revision = _require(frame, "id"), _require(frame, "revision")
    data = _require(frame, "hint") if kind == "hint.update" else None
    hint = hint_services.get_hint(photo, hint_id)
    if kind == "hint.update":
        return hint_services.do_update_hint(user, hint, data, revision, request_id=request_id)
    if kind == "hint.delete":
        return hint_services.do_delete_hint(user, hint, revision, request_id=request_id)
    return hint_services.do_verify_hint(
        user,
        hint,
        revision,
        evidence=frame.get("hint") or {},
        verified=frame.get("verified", True),
        request_id=request_id,
    )


def _require(frame: dict, key: str):
    if key not in frame or frame[key] is None:
        raise invalid(
            {key: _("this field is required")},
            message=_("%(kind)s needs %(field)s") % {"kind": frame["type"], "field": repr(key)},
        )
    return frame[key]


# ------------------------------------------------------------------------------------------- suggestions


def ask_preview(photo_id: int) -> None:
    """A page that joined after the last change has no live preview: ask for the current revision's once more
    (sent to the room like any preview; debounced with the others)."""
    revision = room_revision(photo_id)
    if revision:
        preview.request_preview(photo_id, revision, again=True)


def check_can_suggest(photo_id: int, user) -> None:
    """Suggestions run the model for those who may edit hints (as the hint writes check): NotFound or
    PermissionDenied otherwise."""
    photo = Photo.objects.select_related("collection").filter(pk=photo_id).first()
    if photo is None:
        raise NotFound()
    hint_services.check_can_edit(user, photo)


def do_suggest(photo_id: int, user, x: float, y: float, k: int) -> dict:
    """The model's colours at (x, y) (preview.suggest_colors); run on the model thread. Checks again: the role
    may have changed while the request waited its turn."""
    check_can_suggest(photo_id, user)
    return preview.suggest_colors(photo_id, x, y, k)
