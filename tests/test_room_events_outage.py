"""A channel-layer outage never turns a committed change into an error: the event is logged and dropped,
and clients catch up from the hint-event log when they reconnect."""

import logging

import pytest

from colorize.models import Hint, HintEvent
from colorize.services import hints as services
from tests.factories import make_photo
from tests.test_hints_services import RED

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dead_redis_layer(settings):
    settings.ROOM_PREVIEW_BACKEND = "off"
    # Port 1 on loopback refuses connections at once: a real, unreachable Redis.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }


def test_a_hint_is_kept_when_the_channel_layer_is_down(people, dead_redis_layer, caplog):
    photo = make_photo(people.collection)
    with caplog.at_level(logging.WARNING, logger="colorize.services.events"):
        result = services.do_add_hint(people.curator, photo, RED, request_id="outage-1")
    assert Hint.objects.filter(pk=result.hint["id"]).exists()
    assert HintEvent.objects.filter(photo=photo, request_id="outage-1").count() == 1
    assert "could not send hint.added" in caplog.text
