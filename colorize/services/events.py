"""Room events: the one publisher of everything a photo's room hears.

It owns the group name of a room (`group_name`), the channel-layer message around an event (`envelope`), the
event loop that serves this process's rooms (`register_loop`) and the hint-changed hook (`on_hint_changed`,
`hint_changed`) through which previews follow the hints without the hint services knowing about them.

Events are sent to a photo's channel-layer group only after the database transaction commits. The change an
event reports has already been committed when it is sent, so an outage of the channel layer (Redis down) is
logged, never turned into an error for the request or job that made the change: clients catch up from the
hint-event log (`?since=REV`) and from the run/version API when they reconnect.
"""

import asyncio
import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, InMemoryChannelLayer, channel_layers, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
_room_loop: asyncio.AbstractEventLoop | None = None
_hint_listeners: list[Callable[[int, int], None]] = []


def group_name(photo_id: int) -> str:
    """The channel-layer group of the photo's room."""
    return f"photo.{photo_id}"


def envelope(event: dict) -> dict:
    """The channel-layer message that carries `event` (the consumer's `room_event` handler forwards it)."""
    return {"type": "room.event", "event": event}


def register_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the room consumer: the event loop that serves this process's rooms."""
    global _room_loop
    _room_loop = loop


def room_loop() -> asyncio.AbstractEventLoop | None:
    """The loop registered by the rooms of this process, while it runs (None elsewhere: a worker, a test)."""
    loop = _room_loop
    return loop if loop is not None and not loop.is_closed() else None


def _loop_for(layer) -> asyncio.AbstractEventLoop | None:
    """The room loop, when a send must be handed to it: the in-memory layer's queues belong to that loop
    and are not thread-safe, so a send from a job thread would wait until the loop next woke up."""
    loop = room_loop()
    if not isinstance(layer, InMemoryChannelLayer) or loop is None or not loop.is_running():
        return None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    return None if running is loop else loop


async def publish(photo_id: int, event: dict, layer=None) -> None:
    """Send from async code on the room loop (the consumer, the preview scheduler); raises on a layer outage."""
    layer = layer if layer is not None else get_channel_layer()
    if layer is not None:
        await layer.group_send(group_name(photo_id), envelope(event))


def send_now(photo_id: int, event: dict) -> None:
    """Send at once from sync code (any thread); raises if the channel layer is unreachable."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _loop_for(layer)
    if loop is not None:
        asyncio.run_coroutine_threadsafe(publish(photo_id, event, layer), loop).result(timeout=10)
    else:
        async_to_sync(publish)(photo_id, event, layer)


def send_safely(photo_id: int, event: dict) -> None:
    """Send at once, best effort: a channel-layer outage is logged, not raised."""
    try:
        send_now(photo_id, event)
    except Exception as exc:  # noqa: BLE001 - any transport failure; the data change already happened
        log.warning("could not send %s to the room of photo %s: %s", event.get("type"), photo_id, exc)


def broadcast(photo_id: int, event: dict) -> None:
    """Queue `event` for every client in the photo's room, after the current transaction commits."""
    transaction.on_commit(lambda: send_safely(photo_id, event))


# ------------------------------------------------------------------------------------- hint-changed hook


def on_hint_changed(listener: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """Register `listener(photo_id, room_revision)`, called after each committed hint change (e.g. previews)."""
    if listener not in _hint_listeners:
        _hint_listeners.append(listener)
    return listener


def hint_changed(photo_id: int, revision: int) -> None:
    """The hints of the photo changed to room revision `revision`: tell the listeners after the commit."""

    def notify():
        for listener in list(_hint_listeners):
            try:
                listener(photo_id, revision)
            except Exception:  # noqa: BLE001 - a listener never undoes or fails a committed change
                log.exception("hint-changed listener %s failed for photo %s", listener, photo_id)

    transaction.on_commit(notify)


# ------------------------------------------------------------------------------------- layer recovery


def layer_failed(layer, alias: str = DEFAULT_CHANNEL_LAYER) -> None:
    """The channel layer `layer` failed (Redis went away): forget it, so the next `get_channel_layer()` builds
    a fresh one with fresh connections instead of retrying through the broken pools (docs/hint-protocol.md,
    "Connection lifecycle"). Only the layer still cached is dropped: a thousand sockets noticing the same
    outage replace it once. Its pools are not closed here: a socket that is still reading through it (a
    transient error seen by one socket only) is not cut off."""
    if channel_layers.backends.get(alias) is not layer:
        return
    del channel_layers.backends[alias]  # sockets still on the old one keep it until they close
