"""Room events: sent to a photo's channel-layer group only after the database transaction commits.

The change an event reports has already been committed when it is sent, so an outage of the channel layer
(Redis down) is logged, never turned into an error for the request or job that made the change: clients
catch up from the hint-event log (`?since=REV`) and from the run/version API when they reconnect.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
_room_loop: asyncio.AbstractEventLoop | None = None


def register_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the room consumer: the event loop that serves this process's rooms."""
    global _room_loop
    _room_loop = loop


def _loop_for(layer) -> asyncio.AbstractEventLoop | None:
    """The room loop, when a send must be handed to it: the in-memory layer's queues belong to that loop
    and are not thread-safe, so a send from a job thread would wait until the loop next woke up."""
    loop = _room_loop
    if (
        not isinstance(layer, InMemoryChannelLayer)
        or loop is None
        or loop.is_closed()
        or not loop.is_running()
    ):
        return None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    return None if running is loop else loop


def group_name(photo_id: int) -> str:
    return f"photo.{photo_id}"


def send_now(photo_id: int, event: dict) -> None:
    """Send at once; raises if the channel layer is unreachable."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "room.event", "event": event}
    loop = _loop_for(layer)
    if loop is not None:
        asyncio.run_coroutine_threadsafe(layer.group_send(group_name(photo_id), message), loop).result(
            timeout=10
        )
    else:
        async_to_sync(layer.group_send)(group_name(photo_id), message)


def send_safely(photo_id: int, event: dict) -> None:
    """Send at once, best effort: a channel-layer outage is logged, not raised."""
    try:
        send_now(photo_id, event)
    except Exception as exc:  # noqa: BLE001 - any transport failure; the data change already happened
        log.warning("could not send %s to the room of photo %s: %s", event.get("type"), photo_id, exc)


def broadcast(photo_id: int, event: dict) -> None:
    """Queue `event` for every client in the photo's room, after the current transaction commits."""
    transaction.on_commit(lambda: send_safely(photo_id, event))
