"""The photo room: WebSocket /ws/photos/{id}/ (protocol in docs/hint-protocol.md).

Thin: it parses and checks frames, rate-limits, and calls colorize.services.hints (the same functions as the
REST API), which broadcast `room.event` group messages after commit; this consumer forwards every such
event verbatim (also the runs engineer's run.* / version.* events). Its error frames are in the language chosen at
the handshake (room_language), the services' messages included.
"""

import asyncio
import json
import logging
import math
import random
import time
import uuid
import weakref
from datetime import timedelta
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import close_old_connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

from accounts.models import Role
from archive.access import NotFound, role_of
from archive.models import Photo
from colorize.models.hints import RoomPresence, room_revision
from colorize.services import events, preview
from colorize.services import hints as hint_services
from config.api import ServiceError
from config.unicode import has_lone_surrogate

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_FLOOD = 4429
CLOSE_TRY_AGAIN = 1013  # RFC 6455 "try again later": the channel layer is unavailable; the page reconnects
WRITE_TYPES = {"hint.add", "hint.update", "hint.delete", "hint.verify", "hint.undo"}
FRAME_TYPES = WRITE_TYPES | {"cursor", "suggest", "ping", "preview"}


def db(func):
    """Run ORM code in the thread pool, not on Channels' single database thread: presence and heartbeats of
    many connections then never queue behind (or in front of) hint writes, and writes to different photos run
    in parallel. Each call is self-contained (its own transaction); writes to one photo are serialized by the
    photo row lock in the services."""
    return database_sync_to_async(func, thread_sensitive=False)


_write_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]]" = (
    weakref.WeakKeyDictionary()
)


def photo_write_lock(photo_id: int) -> asyncio.Lock:
    """Writes to one photo from this process take turns here (different photos run in parallel): they then
    never wait on each other's row lock inside PostgreSQL, which costs far more on a busy machine."""
    locks = _write_locks.setdefault(asyncio.get_running_loop(), {})
    lock = locks.get(photo_id)
    if lock is None:
        lock = locks[photo_id] = asyncio.Lock()
    return lock


def clock() -> float:
    """The consumers' clock for rate limits and cursor throttling (tests replace it to control time)."""
    return time.monotonic()


class TokenBucket:
    """`capacity` frames at once, refilled at `rate` per second."""

    clock = staticmethod(time.monotonic)  # tests drive a bucket with their own clock

    def __init__(self, capacity: float, rate: float):
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = self.clock()

    def take(self, cost: float = 1.0) -> bool:
        self.refill()
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    @property
    def full(self) -> bool:
        return self.tokens >= self.capacity

    def retry_after_ms(self) -> int:
        return math.ceil(max(0.0, 1 - self.tokens) / self.rate * 1000)


# Every frame spends from one budget per connection, whatever it is (invalid JSON and binary included); a cursor
# move costs a quarter: the page sends at most 20 a second, which must leave room for hint writes.
CURSOR_COST = 0.25
MAX_NUMBER_DIGITS = 32  # JSON numbers longer than this are refused before Python turns them into ints


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise FrameError(
            "invalid", _("numbers in frames are at most %(max)s digits long") % {"max": MAX_NUMBER_DIGITS}
        )
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > 64:
        raise FrameError("invalid", _("numbers in frames are at most %(max)s characters long") % {"max": 64})
    value = float(text)
    if not math.isfinite(value):
        raise FrameError("invalid", _("numbers in frames must be finite"))
    return value


def _parse_constant(name: str):
    raise FrameError("invalid", _("%(name)s is not a number JSON allows") % {"name": name})


class FrameError(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


def room_language(scope) -> str:
    """The language of a room connection, chosen from its handshake as LocaleMiddleware chooses a page's
    (docs/i18n.md): the language cookie of the switcher, else the first language of Accept-Language the site
    speaks, else LANGUAGE_CODE; only languages of settings.LANGUAGES."""
    wanted = [(scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)]
    accept = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        if code == "*":  # any language: the site's own
            break
        wanted.append(code)
    for code in [*wanted, settings.LANGUAGE_CODE]:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


# ------------------------------------------------------------------------------------ database side


SNAPSHOT_PAGE_BYTES = 400 * 1024  # daphne refuses messages over 1 MiB: big rooms get their hints in pages


def _chunks(items: list[dict], max_bytes: int):
    """Consecutive slices of `items` whose JSON stays under max_bytes (at least one item each)."""
    page, size = [], 0
    for item in items:
        length = len(json.dumps(item, separators=(",", ":"))) + 1
        if page and size + length > max_bytes:
            yield page
            page, size = [], 0
        page.append(item)
        size += length
    if page:
        yield page


def _user_info(user, role) -> dict:
    return {"id": user.pk, "username": user.get_username(), "role": Role(role).label}


def _people(photo_id: int) -> list[dict]:
    people: dict[int, dict] = {}
    for row in RoomPresence.objects.filter(photo_id=photo_id).select_related("user"):
        person = people.setdefault(row.user_id, {**_user_info(row.user, row.role), "connections": []})
        person["connections"].append(row.connection)
    return list(people.values())


@db
def _open_room(photo_id: int, user):
    """-> ("missing"|"forbidden", None) or ("ok", role)."""
    photo = Photo.objects.select_related("collection").filter(pk=photo_id).first()
    if photo is None:
        return "missing", None
    if not photo.collection.is_member(user):
        return "forbidden", None
    return "ok", role_of(user, photo.collection)


def _present(photo_id: int, user, role, channel_name: str, connection: str, now) -> RoomPresence:
    """This connection's presence row: who is in the room, with which role, seen when."""
    return RoomPresence.objects.create(
        photo_id=photo_id,
        user=user,
        role=role,
        channel_name=channel_name,
        connection=connection,
        last_seen=now,
    )


@db
def _join(photo_id: int, user, role, channel_name: str, connection: str, since):
    _present(photo_id, user, role, channel_name, connection, timezone.now())
    revision, hints = hint_services.room_state(photo_id)
    snapshot = {
        "type": "snapshot",
        "photo": photo_id,
        "room_revision": revision,
        "hints": hints,
        "people": _people(photo_id),
        "you": {**_user_info(user, role), "connection": connection},
    }
    if since is not None:
        limit = 1000
        missed = hint_services.events_since(photo_id, since, limit=limit) if since < revision else []
        fitting = next(_chunks(missed, SNAPSHOT_PAGE_BYTES), [])  # what fits in one frame
        complete = len(fitting) == len(missed) and (len(missed) < limit or since >= revision)
        snapshot.update(since=since, events=fitting, events_complete=complete)
        if since > revision:
            snapshot["resync"] = True  # the client knows a future revision: its state is not ours
    return snapshot


@db
def _leave(photo_id: int, channel_name: str) -> list[dict]:
    RoomPresence.objects.filter(channel_name=channel_name).delete()
    return _people(photo_id)


@db
def _heartbeat(photo_id: int, user, role, channel_name: str, connection: str, ttl: float):
    """Refresh our row; prune dead connections. -> (still a member?, rejoined?, pruned [(user, conn)], people)."""
    photo = Photo.objects.select_related("collection").filter(pk=photo_id).first()
    if photo is None or not photo.collection.is_member(user):
        return False, False, [], None
    now = timezone.now()
    rejoined = not RoomPresence.objects.filter(channel_name=channel_name).update(last_seen=now)
    if rejoined:  # we were pruned while alive (a long stall): come back, and say so
        _present(photo_id, user, role, channel_name, connection, now)
    stale = list(
        RoomPresence.objects.filter(
            photo_id=photo_id, last_seen__lt=now - timedelta(seconds=ttl)
        ).select_related("user")
    )
    pruned = []
    for row in stale:
        if RoomPresence.objects.filter(pk=row.pk).delete()[0]:
            pruned.append((_user_info(row.user, row.role), row.connection))
    return True, rejoined, pruned, (_people(photo_id) if pruned or rejoined else None)


def _write(photo_id: int, user, frame: dict) -> dict:
    """Apply one write frame through the services; -> the ack frame."""
    kind = frame["type"]
    request_id = frame.get("request_id")
    photo = Photo(pk=photo_id)  # the services lock and load the row themselves
    try:
        return _apply(kind, request_id, photo, user, frame)
    except NotFound:
        collection = Photo.objects.select_related("collection").get(pk=photo_id).collection
        if not collection.is_member(user):
            raise FrameError("forbidden", _("you are no longer a member of this collection")) from None
        raise


def _apply(kind: str, request_id, photo: Photo, user, frame: dict) -> dict:
    if kind == "hint.add":
        change = hint_services.do_add_hint(user, photo, _require(frame, "hint"), request_id=request_id)
    elif kind == "hint.undo":
        change = hint_services.do_undo(user, photo, event_revision=frame.get("event"), request_id=request_id)
    else:
        hint_id, revision = _require(frame, "id"), _require(frame, "revision")
        data = _require(frame, "hint") if kind == "hint.update" else None
        hint = hint_services.get_hint(photo, hint_id)
        if kind == "hint.update":
            change = hint_services.do_update_hint(user, hint, data, revision, request_id=request_id)
        elif kind == "hint.delete":
            change = hint_services.do_delete_hint(user, hint, revision, request_id=request_id)
        else:
            change = hint_services.do_verify_hint(
                user,
                hint,
                revision,
                evidence=frame.get("hint") or {},
                verified=frame.get("verified", True),
                request_id=request_id,
            )
    return {
        "type": "ack",
        "request_id": request_id,
        "action": change.event.action,
        "room_revision": change.room_revision,
        "hint": change.hint,
        "duplicate": change.duplicate,
    }


def _require(frame: dict, key: str):
    if key not in frame or frame[key] is None:
        raise FrameError(
            "invalid",
            _("%(kind)s needs %(field)s") % {"kind": frame["type"], "field": repr(key)},
            {key: [_("this field is required")]},
        )
    return frame[key]


def _suggest(photo_id: int, user, x: float, y: float, k: int) -> dict:
    close_old_connections()
    try:
        photo = Photo.objects.select_related("collection").get(pk=photo_id)
        hint_services.check_can_edit(user, photo)
        return preview.suggest_colors(photo_id, x, y, k)
    finally:
        close_old_connections()


# ----------------------------------------------------------------------------------------- consumer


class PhotoRoomConsumer(AsyncWebsocketConsumer):
    joined = False
    language = None  # room_language(scope), set at the connect
    _layer_down = False  # the channel layer failed: this socket closes with 1013
    _connect_seen = False
    _closed_try_again = False

    async def __call__(self, scope, receive, send):
        """Channels' AsyncConsumer.__call__ with one change: the channel layer is read through
        `_layer_receive`, so a Redis outage becomes a clean close (1013) of this socket instead of an exception
        that kills the consumer (and, before the handshake is answered, makes the server reply HTTP 500)."""
        from channels.exceptions import StopConsumer
        from channels.layers import get_channel_layer
        from channels.utils import await_many_dispatch

        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = self._layer_receive
        self.base_send = send
        try:
            await await_many_dispatch([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass

    async def dispatch(self, message):
        """Handle every message (frames, room events, the connect) in the connection's language: the error frames
        it sends, the services' messages too (sync_to_async carries the language to their thread), and the tasks
        it starts (a suggestion's answer) inherit it."""
        with translation.override(self.language or settings.LANGUAGE_CODE):
            await super().dispatch(message)

    async def _layer_receive(self):
        if self._layer_down:
            await asyncio.Event().wait()  # closing: wait for the disconnect, which stops the consumer
        try:
            return await self.channel_layer.receive(self.channel_name)
        except Exception as exc:
            log.warning("room %s: channel layer unavailable: %s", self.scope["url_route"]["kwargs"], exc)
            self._layer_down = True
            return {"type": "room.layer_down"}

    async def room_layer_down(self, message):
        if self._connect_seen and not self._closed_try_again:
            await self.close(code=CLOSE_TRY_AGAIN)  # before the connect, connect() sees _layer_down instead

    async def _try_again_later(self):
        """Answer the handshake, then close with 1013: the page reconnects later (never an HTTP 500)."""
        self._closed_try_again = True
        await self.accept()
        await self.close(code=CLOSE_TRY_AGAIN)

    async def connect(self):
        self._connect_seen = True
        self.language = room_language(self.scope)  # from here on, dispatch() handles everything in it
        if self._layer_down:
            await self._try_again_later()
            return
        self.photo_id = int(self.scope["url_route"]["kwargs"]["photo_id"])
        self.group = events.group_name(self.photo_id)
        self.user = self.scope.get("user")
        self.connection = uuid.uuid4().hex[:12]
        self.bucket = TokenBucket(settings.ROOM_RATE_CAPACITY, settings.ROOM_RATE_PER_SECOND)
        self.max_frame = settings.ROOM_MAX_FRAME_BYTES
        self.cursor_interval = settings.ROOM_CURSOR_INTERVAL_MS / 1000.0
        self.cursor_sent_at = 0.0
        self.cursor_pending = None
        self.cursor_timer = None
        self.strikes = 0  # frames refused for the rate since the budget was last full again
        self.suggest_task = None
        status, role = await _open_room(self.photo_id, self.user)
        if status != "ok":
            # Accept, then close with an application code the client can read (a refused handshake has none).
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND if status == "missing" else CLOSE_FORBIDDEN)
            return
        self.role = role
        since = self._since()
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
        except Exception as exc:  # the channel layer (Redis) is down: a clean "try again later", never a 500
            log.warning("room %s: channel layer unavailable at join: %s", self.photo_id, exc)
            await self._try_again_later()
            return
        self.joined = True
        snapshot = await _join(self.photo_id, self.user, role, self.channel_name, self.connection, since)
        self.seen_revision = snapshot["room_revision"]
        pages = list(_chunks(snapshot["hints"], SNAPSHOT_PAGE_BYTES)) or [[]]
        snapshot["hints"], snapshot["hints_complete"] = pages[0], len(pages) == 1
        await self.accept()
        await self.send_json(snapshot)
        for number, page in enumerate(
            pages[1:], start=2
        ):  # the rest of a big room's hints, before anything else
            await self.send_json(
                {"type": "snapshot.hints", "page": number, "hints": page, "last": number == len(pages)}
            )
        await self._broadcast_presence(
            "join", _user_info(self.user, role), self.connection, snapshot["people"]
        )
        preview.register_loop(asyncio.get_running_loop())
        self.heartbeat_task = asyncio.create_task(self._heartbeat_loop())

    def _since(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        value = (query.get("since") or [None])[0]
        return int(value) if value is not None and value.isdigit() else None

    async def disconnect(self, code):
        if not self.joined:
            return
        self.joined = False
        self.heartbeat_task.cancel()
        if self.suggest_task is not None:
            self.suggest_task.cancel()
        if self.cursor_timer is not None:
            self.cursor_timer.cancel()
        people = await _leave(self.photo_id, self.channel_name)
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self._broadcast_presence("leave", _user_info(self.user, self.role), self.connection, people)
        except Exception as exc:  # the channel layer is down: presence rows are gone; the others re-sync
            log.warning("room %s: channel layer unavailable at leave: %s", self.photo_id, exc)

    async def _broadcast_presence(self, action, user, connection, people):
        event = {
            "type": "presence",
            "action": action,
            "user": user,
            "connection": connection,
            "people": people,
        }
        await self.channel_layer.group_send(self.group, {"type": "room.event", "event": event})

    async def _heartbeat_loop(self):
        interval = settings.ROOM_HEARTBEAT_SECONDS
        ttl = settings.ROOM_PRESENCE_TTL_SECONDS
        while True:
            await asyncio.sleep(interval * random.uniform(0.75, 1.25))  # spread the room's heartbeats out
            try:
                member, rejoined, pruned, people = await _heartbeat(
                    self.photo_id, self.user, self.role, self.channel_name, self.connection, ttl
                )
                if not member:  # removed from the collection (or the photo is gone): leave the room
                    await self.close(code=CLOSE_FORBIDDEN)
                    return
                for user, connection in pruned:
                    await self._broadcast_presence("leave", user, connection, people)
                if rejoined:
                    me = _user_info(self.user, self.role)
                    await self._broadcast_presence("join", me, self.connection, people)
            except Exception:  # a failed heartbeat must not kill the connection
                await asyncio.sleep(interval)

    # -------------------------------------------------------------------------------- outgoing

    async def send_json(self, content: dict):
        # default=str: translatable messages (lazy strings from the services) are sent as plain text.
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))

    async def send_error(self, request_id, code: str, message: str, fields=None, **extra):
        frame = {"type": "error", "request_id": request_id, "code": code, "message": message}
        frame["fields"] = fields or {}
        frame.update(extra)
        await self.send_json(frame)

    async def room_event(self, message):
        """Forward a room event verbatim (hint events the snapshot already covered are skipped)."""
        event = message["event"]
        kind = event.get("type", "")
        if kind.startswith("hint.") and event.get("room_revision", math.inf) <= self.seen_revision:
            return
        if kind == "cursor" and event.get("connection") == self.connection:
            return
        text = message.get("_text")  # local consumers may share one message object: encode it once
        if text is None:
            text = json.dumps(event, separators=(",", ":"))
            message["_text"] = text
        await self.send(text_data=text)

    # -------------------------------------------------------------------------------- incoming

    async def _spend(self, cost: float) -> bool:
        """Take `cost` from the connection's budget. False: refused (a rate_limited error frame was sent, or the
        connection was closed with 4429 after ROOM_FLOOD_CLOSE_AFTER refusals without a pause long enough to
        refill the whole budget)."""
        self.bucket.refill()
        if self.bucket.full:
            self.strikes = 0
        if self.bucket.take(cost):
            return True
        self.strikes += 1
        if self.strikes > settings.ROOM_FLOOD_CLOSE_AFTER:
            log.warning("room %s: closing a flooding connection", self.photo_id)
            await self.close(code=CLOSE_FLOOD)
        elif cost >= 1:  # refused cursor moves are dropped silently
            retry = self.bucket.retry_after_ms()
            await self.send_error(
                None,
                "rate_limited",
                _("too many frames: slow down (retry in %(ms)s ms)") % {"ms": retry},
                {"retry_after_ms": [str(retry)]},
            )
        return False

    async def _parse(self, text_data, bytes_data) -> bool:
        """Parse, spend from the budget (every frame, malformed or not), then check: -> True with the frame in
        self._frame, or False when the budget refused it. A malformed frame raises FrameError."""
        self._frame, self._request_id = None, None
        frame, error = None, None
        if text_data is None:
            error = FrameError("bad_frame", _("frames are JSON text, not binary"))
        elif len(text_data) > self.max_frame or len(text_data.encode("utf-8", "replace")) > self.max_frame:
            error = FrameError("too_large", _("frames are at most %(max)s bytes") % {"max": self.max_frame})
        else:
            try:
                frame = json.loads(
                    text_data, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
                )
            except FrameError as exc:
                error = exc
            except (ValueError, RecursionError):
                error = FrameError("bad_json", _("the frame is not valid JSON"))
        is_cursor = isinstance(frame, dict) and frame.get("type") == "cursor"
        if not await self._spend(CURSOR_COST if is_cursor else 1.0):
            return False
        if error is not None:
            raise error
        if not isinstance(frame, dict):
            raise FrameError("bad_frame", _("a frame is a JSON object with a type"))
        request_id = frame.get("request_id")
        if not isinstance(request_id, str | int | type(None)) or isinstance(request_id, bool):
            raise FrameError(
                "invalid", _("request_id must be a string"), {"request_id": [_("must be a string")]}
            )
        self._request_id = request_id
        kind = frame.get("type")
        if kind is not None and not isinstance(kind, str):  # None: answered unknown_type below
            raise FrameError("invalid", _("type must be a string"), {"type": [_("must be a string")]})
        if has_lone_surrogate(frame):
            raise FrameError("invalid", _("text must be valid Unicode (a lone surrogate was sent)"))
        self._frame = frame
        return True

    async def receive(self, text_data=None, bytes_data=None):
        request_id = None
        try:
            if not await self._parse(text_data, bytes_data):
                return
            kind = self._frame.get("type")
            frame = self._frame
            request_id = frame.get("request_id")
            if kind == "cursor":
                await self._cursor(frame)
                return
            if kind not in FRAME_TYPES:
                types = ", ".join(sorted(FRAME_TYPES))
                raise FrameError(
                    "unknown_type",
                    _("unknown frame type %(type)s; use one of %(types)s")
                    % {"type": repr(kind), "types": types},
                )
            if kind == "ping":
                await self.send_json({"type": "pong", "request_id": request_id, "t": frame.get("t")})
            elif kind == "suggest":
                await self._suggest(frame, request_id)
            elif kind == "preview":
                await self._ask_preview()
            else:
                if request_id is None:
                    raise FrameError(
                        "invalid",
                        _("%(kind)s needs a request_id") % {"kind": kind},
                        {"request_id": [_("required")]},
                    )
                async with photo_write_lock(self.photo_id):
                    ack = await db(_write)(self.photo_id, self.user, frame)
                await self.send_json(ack)
        except FrameError as exc:
            await self.send_error(
                request_id if request_id is not None else self._request_id, exc.code, exc.message, exc.fields
            )
        except hint_services.StaleRevision as exc:
            await self.send_error(request_id, exc.code, exc.message, exc.fields, hint=exc.current)
        except ServiceError as exc:
            await self.send_error(request_id, exc.code, exc.message, exc.fields)
        except (DjangoPermissionDenied, DRFPermissionDenied, NotAuthenticated) as exc:
            await self.send_error(request_id, "forbidden", str(exc) or _("your role does not allow this"))
        except Exception as exc:  # the connection survives whatever one frame does
            log.exception("room %s: frame failed", self.photo_id)
            await self.send_error(
                request_id,
                "internal",
                _("the server failed on this frame: %(error)s") % {"error": type(exc).__name__},
            )

    def _point(self, frame: dict) -> tuple[float, float]:
        errors = {}
        values = []
        for key in ("x", "y"):
            value = frame.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                errors[key] = [_("must be a number in %(interval)s") % {"interval": "[0, 1]"}]
            elif not 0.0 <= value <= 1.0:
                errors[key] = [_("must be in %(interval)s") % {"interval": "[0, 1]"}]
            values.append(value)
        if errors:
            raise FrameError("invalid", _("x and y must be numbers in [0, 1]"), errors)
        return float(values[0]), float(values[1])

    async def _cursor(self, frame: dict):
        x, y = self._point(frame)
        self.cursor_pending = {
            "type": "cursor",
            "connection": self.connection,
            "user": {"id": self.user.pk, "username": self.user.get_username()},
            "x": x,
            "y": y,
        }
        wait = self.cursor_sent_at + self.cursor_interval - clock()
        if wait <= 0:
            await self._flush_cursor()
        elif self.cursor_timer is None:  # throttled: the latest position goes out when the interval ends
            self.cursor_timer = asyncio.get_running_loop().call_later(
                wait, lambda: asyncio.ensure_future(self._flush_cursor())
            )

    async def _flush_cursor(self):
        self.cursor_timer = None
        event, self.cursor_pending = self.cursor_pending, None
        if event is None or not self.joined:
            return
        self.cursor_sent_at = clock()
        await self.channel_layer.group_send(self.group, {"type": "room.event", "event": event})

    async def _ask_preview(self):
        """A page that joined after the last change has no live preview: ask for the current revision's
        (sent to the room like any preview; debounced with the others)."""
        revision = await db(room_revision)(self.photo_id)
        if revision:
            preview.request_preview(self.photo_id, revision, again=True)

    async def _suggest(self, frame: dict, request_id):
        """Answer in the background: the consumer keeps forwarding room events while the model works."""
        x, y = self._point(frame)
        k = frame.get("k", 8)
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 32:
            raise FrameError("invalid", _("k must be an integer in [1, 32]"), {"k": [_("1 to 32")]})
        if self.suggest_task is not None and not self.suggest_task.done():
            raise FrameError("busy", _("one suggestion at a time: wait for the previous answer"))
        self.suggest_task = asyncio.create_task(self._answer_suggestion(request_id, x, y, k))

    async def _answer_suggestion(self, request_id, x: float, y: float, k: int):
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                preview._executor, _suggest, self.photo_id, self.user, x, y, k
            )
        except (DjangoPermissionDenied, DRFPermissionDenied, NotAuthenticated, NotFound):
            await self.send_error(
                request_id, "forbidden", _("suggestions are for curators, reviewers and owners")
            )
        except Exception as exc:
            log.exception("room %s: suggestion failed", self.photo_id)
            await self.send_error(
                request_id, "internal", _("the suggestion failed: %(error)s") % {"error": type(exc).__name__}
            )
        else:
            await self.send_json({"type": "suggestion", "request_id": request_id, "x": x, "y": y, **result})
