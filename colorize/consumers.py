"""The photo room: WebSocket /ws/photos/{id}/ (protocol in docs/hint-protocol.md).

Thin: the socket and the dispatch. Frames are parsed and checked by colorize.room_protocol (with the token
bucket), presence, the snapshot, writes and suggestions are colorize.services.rooms (writes through the same
hint services as the REST API), and every event comes from colorize.services.events, which broadcasts
`room.event` group messages after commit; this consumer forwards each such event verbatim (run.* and version.*
events included). Its error frames are in the language chosen at the handshake (room_language), the services'
messages included.

Teardown always runs: a send to a socket that is already closing (autobahn's "Attempt to send on a closed
protocol") ends the connection exactly as a disconnect does, and the heartbeat stops on every exit path.
"""

import asyncio
import json
import logging
import math
import random
import uuid
import weakref
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

from colorize.room_protocol import (
    CLOSE_FLOOD,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_TRY_AGAIN,
    REPAIR_WRITE_TYPES,
    FrameError,
    TokenBucket,
    check_frame,
    check_type,
    clock,
    frame_cost,
    parse_frame,
    point,
    room_language,
    suggestion_count,
)
from colorize.services import events, preview, repair_room, rooms
from colorize.services import hints as hint_services
from config.api import NotFound, ServiceError

__all__ = ["PhotoRoomConsumer", "TokenBucket", "clock"]
log = logging.getLogger(__name__)
PERMISSION_ERRORS = (DjangoPermissionDenied, DRFPermissionDenied, NotAuthenticated)


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


class SocketGone(StopConsumer):
    """A send found the socket closed or closing: the connection was torn down; the consumer stops."""


class PhotoRoomConsumer(AsyncWebsocketConsumer):
    joined = False  # in the group with a presence row: teardown has work to do
    gone = False  # the socket is closed or closing: nothing more is sent to it
    language = None  # room_language(scope), set at the connect
    _layer_down = False  # the channel layer failed: this socket closes with CLOSE_TRY_AGAIN
    _connect_seen = False
    _closed_try_again = False
    _flood_closed = False
    heartbeat_task = None
    _beat_write = None  # the heartbeat's database write in flight
    suggest_task = None
    cursor_timer = None

    async def __call__(self, scope, receive, send):
        """Channels' AsyncConsumer.__call__ with three changes: sends go through `_send_to_socket` (a failed send
        tears the connection down), the channel layer is read through `_layer_receive` (a Redis outage becomes
        a clean "try again later" close instead of an exception that kills the consumer, or an HTTP 500 before
        the handshake is answered), and the teardown runs on every way out."""
        from channels.layers import get_channel_layer
        from channels.utils import await_many_dispatch

        self.scope = scope
        self._socket_send = send
        self.base_send = self._send_to_socket
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        try:
            self.channel_name = await self.channel_layer.new_channel()
        except Exception as exc:  # a layer that needs Redis for a channel name: try again later
            self._layer_failed(exc)
            self.channel_name = f"room.unavailable!{uuid.uuid4().hex}"
        self.channel_receive = self._layer_receive
        try:
            await await_many_dispatch([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            await self._teardown()

    async def dispatch(self, message):
        """Handle every message (frames, room events, the connect) in the connection's language: the error frames
        it sends, the services' messages too (sync_to_async carries the language to their thread), and the tasks
        it starts (a suggestion's answer) inherit it."""
        with translation.override(self.language or settings.LANGUAGE_CODE):
            await super().dispatch(message)

    # ----------------------------------------------------------------------------------- channel layer

    def _layer_failed(self, exc):
        log.warning("room %s: channel layer unavailable: %s", self.scope["url_route"]["kwargs"], exc)
        self._layer_down = True
        events.layer_failed(self.channel_layer)

    async def _layer_receive(self):
        if self._layer_down:
            await asyncio.Event().wait()  # closing: wait for the disconnect, which stops the consumer
        try:
            return await self.channel_layer.receive(self.channel_name)
        except Exception as exc:
            self._layer_failed(exc)
            return {"type": "room.layer_down"}

    async def room_layer_down(self, message):
        if self._connect_seen and not self._closed_try_again:
            await self.close(code=CLOSE_TRY_AGAIN)  # before the connect, connect() sees _layer_down instead

    async def _try_again_later(self):
        """Answer the handshake, then close with CLOSE_TRY_AGAIN: the page reconnects later (never a 500)."""
        self._closed_try_again = True
        await self.accept()
        await self.close(code=CLOSE_TRY_AGAIN)

    # ------------------------------------------------------------------------------------- lifecycle

    async def connect(self):
        self._connect_seen = True
        self.language = room_language(self.scope)  # from here on, dispatch() handles everything in it
        if self._layer_down:
            await self._try_again_later()
            return
        self._setup()
        status, role = await db(rooms.open_room)(self.photo_id, self.user)
        if status != "ok":
            # Accept, then close with an application code the client can read (a refused handshake has none).
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND if status == "missing" else CLOSE_FORBIDDEN)
            return
        self.role = role
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
        except Exception as exc:  # the channel layer (Redis) is down: a clean "try again later", never a 500
            self._layer_failed(exc)
            await self._try_again_later()
            return
        self.joined = True
        joined = await db(rooms.join)(
            self.photo_id, self.user, role, self.channel_name, self.connection, self._since()
        )
        self.seen_revision = joined.room_revision
        self.heartbeat_task = asyncio.create_task(self._heartbeat_loop())
        await self.accept()
        for text in joined.frames:  # the snapshot, then the rest of a big room's hints, before anything else
            await self.send(text_data=text)
        events.register_loop(asyncio.get_running_loop())
        await self._broadcast_presence(
            "join", rooms.user_info(self.user, role), self.connection, joined.people
        )

    def _setup(self):
        self.photo_id = int(self.scope["url_route"]["kwargs"]["photo_id"])
        self.group = events.group_name(self.photo_id)
        self.user = self.scope.get("user")
        self.connection = uuid.uuid4().hex[:12]
        self.bucket = TokenBucket(settings.ROOM_RATE_CAPACITY, settings.ROOM_RATE_PER_SECOND)
        self.max_frame = settings.ROOM_MAX_FRAME_BYTES
        self.cursor_interval = settings.ROOM_CURSOR_INTERVAL_MS / 1000.0
        self.cursor_sent_at = 0.0
        self.cursor_pending = None
        self.strikes = 0  # frames refused for the rate since the budget was last full again

    def _since(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        value = (query.get("since") or [None])[0]
        return int(value) if value is not None and value.isdigit() else None

    async def disconnect(self, code):
        await self._teardown()

    def _stop_tasks(self):
        """Cancel the connection's background work (not the task running this: it is ending anyway)."""
        current = asyncio.current_task()
        for task in (self.heartbeat_task, self.suggest_task):
            if task is not None and task is not current:
                task.cancel()
        if self.cursor_timer is not None:
            self.cursor_timer.cancel()
            self.cursor_timer = None

    async def _teardown(self):
        """End the connection's presence: tasks cancelled, row deleted, group left, the room told. Runs once,
        whichever way the connection ends (a disconnect, a failed send, the consumer stopping)."""
        self._stop_tasks()
        if not self.joined:
            return
        self.joined = False
        people = None
        if self._beat_write is not None and not self._beat_write.done():
            await asyncio.wait([self._beat_write])
        try:
            people = await db(rooms.leave)(self.photo_id, self.channel_name)
        except Exception:  # the TTL prunes the row: a heartbeat no longer refreshes it
            log.exception("room %s: could not remove the presence of %s", self.photo_id, self.connection)
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            if people is not None:
                me = rooms.user_info(self.user, self.role)
                await self._broadcast_presence("leave", me, self.connection, people)
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
        await events.publish(self.photo_id, event, self.channel_layer)

    async def _heartbeat_loop(self):
        interval = settings.ROOM_HEARTBEAT_SECONDS
        while self.joined and not self.gone:
            await asyncio.sleep(interval * random.uniform(0.75, 1.25))  # spread the room's heartbeats out
            try:
                if not await self._beat():
                    return
            except StopConsumer:
                return
            except Exception as exc:  # a failed heartbeat must not kill the connection
                log.warning("room %s: heartbeat failed: %s", self.photo_id, exc)
                await asyncio.sleep(interval)

    async def _beat(self) -> bool:
        """One heartbeat; -> False when the connection must leave (no longer a member, or the photo is gone)."""
        # Shielded: cancelling the heartbeat does not stop its thread, so the teardown waits for this write
        # (else a beat that started before the teardown would bring the deleted row back).
        self._beat_write = asyncio.ensure_future(
            db(rooms.heartbeat)(self.photo_id, self.user, self.role, self.channel_name, self.connection)
        )
        beat = await asyncio.shield(self._beat_write)
        if not beat.member:
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        for user, connection in beat.pruned:
            await self._broadcast_presence("leave", user, connection, beat.people)
        if beat.rejoined:
            await self._broadcast_presence(
                "join", rooms.user_info(self.user, self.role), self.connection, beat.people
            )
        return True

    # -------------------------------------------------------------------------------- outgoing

    async def _send_to_socket(self, message):
        """Every message to the server (accept, send, close) passes here. Once the socket is closing, a send
        raises (autobahn: "Attempt to send on a closed protocol"): the connection is then torn down as on a
        disconnect, and the consumer stops."""
        if self.gone:
            return
        try:
            await self._socket_send(message)
        except Exception as exc:
            self.gone = True
            log.info("room %s: the socket is gone (%s): tearing the connection down", self.scope["path"], exc)
            await self._teardown()
            raise SocketGone() from None
        if message["type"] == "websocket.close":
            self.gone = True

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
        refill the whole budget; the frames that still arrive before the close completes are dropped)."""
        self.bucket.refill()
        if self.bucket.full:
            self.strikes = 0
        if self.bucket.take(cost):
            return True
        self.strikes += 1
        if self.strikes > settings.ROOM_FLOOD_CLOSE_AFTER:
            if not self._flood_closed:  # said and done once per connection
                self._flood_closed = True
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

    async def receive(self, text_data=None, bytes_data=None):
        """Parse, spend from the budget (every frame, malformed or not), check, dispatch; answer what fails with
        an error frame (the connection survives whatever one frame does)."""
        request_id = None
        try:
            value, error = parse_frame(text_data, self.max_frame)
            if not await self._spend(frame_cost(value)):
                return
            if error is not None:
                raise error
            frame = check_frame(value)
            request_id = frame.get("request_id")
            await self._handle(frame, request_id)
        except FrameError as exc:
            request_id = request_id if request_id is not None else exc.request_id
            await self.send_error(request_id, exc.code, exc.message, exc.fields)
        except StopConsumer:
            raise
        except Exception as exc:
            await self._answer_failure(request_id, exc)

    async def _handle(self, frame: dict, request_id):
        if frame.get("type") == "cursor":
            await self._cursor(frame)
            return
        kind = check_type(frame)
        if kind == "ping":
            await self.send_json({"type": "pong", "request_id": request_id, "t": frame.get("t")})
        elif kind == "suggest":
            await self._suggest(frame, request_id)
        elif kind == "preview":
            await db(rooms.ask_preview)(self.photo_id)
        elif kind in REPAIR_WRITE_TYPES:
            # The mask's own row lock serializes its writes; hint writes need not wait behind a mask render.
            await self.send_json(await db(repair_room.write)(self.photo_id, self.user, frame))
        else:
            async with photo_write_lock(self.photo_id):
                ack = await db(rooms.write)(self.photo_id, self.user, frame)
            await self.send_json(ack)

    async def _answer_failure(self, request_id, exc: Exception):
        """The error frame of a write the services refused (or that failed)."""
        if isinstance(exc, hint_services.StaleRevision):
            await self.send_error(request_id, exc.code, exc.message, exc.fields, hint=exc.current)
        elif isinstance(exc, ServiceError):
            await self.send_error(request_id, exc.code, exc.message, exc.fields)
        elif isinstance(exc, PERMISSION_ERRORS):
            await self.send_error(request_id, "forbidden", str(exc) or _("your role does not allow this"))
        else:
            log.error("room %s: frame failed", self.photo_id, exc_info=exc)
            await self.send_error(
                request_id,
                "internal",
                _("the server failed on this frame: %(error)s") % {"error": type(exc).__name__},
            )

    async def _cursor(self, frame: dict):
        x, y = point(frame)
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
        try:
            await events.publish(self.photo_id, event, self.channel_layer)
        except Exception as exc:  # a cursor move is not worth more than a log line; the layer's reader closes
            log.warning("room %s: cursor not sent: %s", self.photo_id, exc)

    # ------------------------------------------------------------------------------- suggestions

    async def _suggest(self, frame: dict, request_id):
        """Check now, answer in the background: the consumer keeps forwarding room events while the model works."""
        x, y = point(frame)
        k = suggestion_count(frame)
        if self.suggest_task is not None and not self.suggest_task.done():
            raise FrameError("busy", _("one suggestion at a time: wait for the previous answer"))
        try:
            await db(rooms.check_can_suggest)(self.photo_id, self.user)
        except (*PERMISSION_ERRORS, NotFound):
            await self._refuse_suggestion(request_id)
            return
        self.suggest_task = asyncio.create_task(self._answer_suggestion(request_id, x, y, k))

    async def _refuse_suggestion(self, request_id):
        await self.send_error(
            request_id, "forbidden", _("suggestions are for curators, reviewers and owners")
        )

    async def _answer_suggestion(self, request_id, x: float, y: float, k: int):
        try:
            await self._compute_suggestion(request_id, x, y, k)
        except StopConsumer:  # the socket went while the model worked: torn down already
            pass

    async def _compute_suggestion(self, request_id, x: float, y: float, k: int):
        try:
            result = await preview.on_model_thread(rooms.do_suggest, self.photo_id, self.user, x, y, k)
        except (*PERMISSION_ERRORS, NotFound):
            await self._refuse_suggestion(request_id)
        except Exception as exc:
            log.exception("room %s: suggestion failed", self.photo_id)
            await self.send_error(
                request_id, "internal", _("the suggestion failed: %(error)s") % {"error": type(exc).__name__}
            )
        else:
            await self.send_json({"type": "suggestion", "request_id": request_id, "x": x, "y": y, **result})
