"""Room events: sent to a photo's channel-layer group only after the database transaction commits."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def group_name(photo_id: int) -> str:
    return f"photo.{photo_id}"


def send_now(photo_id: int, event: dict) -> None:
    """Send at once (callers already outside a transaction, e.g. progress from a worker)."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(photo_id), {"type": "room.event", "event": event})


def broadcast(photo_id: int, event: dict) -> None:
    """Queue `event` for every client in the photo's room, after the current transaction commits."""
    transaction.on_commit(lambda: send_now(photo_id, event))
