"""Redis blips: /healthz names each component and answers 503 while a required one is down; a room handshake
while the channel layer is down closes cleanly (4013, the room's "try again later": autobahn refuses RFC 6455's
1013) instead of failing with a 500. tests/test_room_daphne.py checks the same against a real daphne and Redis."""

import socket

import pytest
from channels.testing import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


def _dead_redis_url() -> str:
    """A Redis URL where nothing listens (a port just released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def _redis_settings(settings, url: str):
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.JOB_BACKEND = "celery"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 2}], "prefix": "test-healthz"},
        }
    }


def test_healthz_answers_503_and_names_redis_when_it_is_down(client, settings):
    _redis_settings(settings, _dead_redis_url())
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok" and body["storage"] == "ok"
    assert body["channel_layer"].startswith("error") and body["broker"].startswith("error")
    assert body["workers"].startswith("error")


@pytest.mark.services
def test_healthz_reports_each_component_of_a_running_stack(client, settings):
    from tests.stack import reachable

    if not reachable("127.0.0.1", 6379):
        pytest.skip("no Redis at 127.0.0.1:6379")
    _redis_settings(settings, "redis://127.0.0.1:6379/0")
    response = client.get("/healthz")
    body = response.json()
    # No worker listens on this broker here: reported, but a web server without workers is still ready...
    assert response.status_code == 200, body
    assert {k: body[k] for k in ("database", "storage", "channel_layer", "broker")} == dict.fromkeys(
        ("database", "storage", "channel_layer", "broker"), "ok"
    )
    assert body["workers"].startswith("error")
    # ... unless the caller requires them.
    assert client.get("/healthz?require=worker").status_code == 503


async def test_a_room_handshake_while_the_channel_layer_is_down_closes_with_try_again_later(people, settings):
    from channels.routing import URLRouter

    from config.routing import websocket_urlpatterns
    from tests.factories import make_photo
    from tests.test_room_consumer import _room_settings  # noqa: F401

    settings.ROOM_PREVIEW_BACKEND = "off"
    _redis_settings(settings, _dead_redis_url())
    from channels.db import database_sync_to_async

    photo = await database_sync_to_async(make_photo)(people.collection)
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/photos/{photo.pk}/")
    comm.scope["user"] = people.curator
    await comm.connect(timeout=30)
    output = await comm.receive_output(timeout=30)
    assert output == {"type": "websocket.close", "code": 4013}
    await comm.disconnect()
