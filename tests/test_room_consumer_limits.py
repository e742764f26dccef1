"""The photo room against bad and abusive clients, over WebSocketCommunicator (tests/test_room_consumer.py has
the room's helpers and fixtures): bad and binary frames, the rate limit, cursor throttling, the flood close, the
token and Origin checks of the full ASGI stack, and a viewer asking for suggestions."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.test_room_consumer import (  # noqa: F401  (_room_settings: the room tests' autouse settings)
    RED,
    _room_settings,
    close_all,
    count_hints,
    drain,
    joined,
    layer,
    next_frame,
    send,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --------------------------------------------------------------------------------------- bad frames


@pytest.mark.usefixtures("layer")
@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json {", "bad_json"),
        ("[1, 2]", "bad_frame"),
        (json.dumps({"type": "hint.explode", "request_id": "r"}), "unknown_type"),
        (json.dumps({"request_id": "r"}), "unknown_type"),
        (json.dumps({"type": "hint.add", "request_id": "r"}), "invalid"),
        (json.dumps({"type": "hint.add", "hint": RED}), "invalid"),
        (json.dumps({"type": "hint.add", "request_id": "r", "hint": {**RED, "x": 1.01}}), "invalid"),
        (json.dumps({"type": "hint.add", "request_id": "r", "hint": {**RED, "color": "crimson"}}), "invalid"),
        (json.dumps({"type": "hint.update", "request_id": "r", "id": 1, "hint": {"x": 0.2}}), "invalid"),
        (
            json.dumps({"type": "hint.update", "request_id": "r", "id": 999, "revision": 1, "hint": {}}),
            "not_found",
        ),
        (json.dumps({"type": "cursor", "x": 3, "y": 0.5}), "invalid"),
        (
            json.dumps(
                {"type": "hint.add", "request_id": "r", "hint": {**RED, "evidence_note": "x" * 70000}}
            ),
            "too_large",
        ),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_survives(people, photo, raw, code):
    comm, _ = await joined(people.curator, photo)
    await comm.send_to(text_data=raw)
    error = await next_frame(comm, "error")
    assert error["code"] == code, error
    assert error["message"]
    assert await count_hints() == 0
    await send(comm, type="hint.add", request_id="ok", hint=RED)
    assert (await next_frame(comm, "ack"))["request_id"] == "ok"
    await close_all(comm)


@pytest.mark.usefixtures("layer")
async def test_binary_frames_are_refused(people, photo):
    comm, _ = await joined(people.curator, photo)
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await next_frame(comm, "error"))["code"] == "bad_frame"
    await close_all(comm)


class FakeClock:
    """Stands in for consumers.clock: time moves only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def frozen_clock(monkeypatch):
    from colorize import consumers

    fake = FakeClock()
    monkeypatch.setattr(consumers, "clock", fake)
    monkeypatch.setattr(consumers.TokenBucket, "clock", staticmethod(fake))
    return fake


@pytest.mark.usefixtures("layer")
async def test_a_flood_is_rate_limited_and_the_rest_goes_through_later(people, photo, settings, frozen_clock):
    settings.ROOM_RATE_CAPACITY = 5
    settings.ROOM_RATE_PER_SECOND = 0.5
    comm, _ = await joined(people.curator, photo)
    for i in range(30):
        await send(comm, type="hint.add", request_id=f"f{i}", hint={**RED, "x": i / 100})
    replies = [await next_frame(comm, "ack", "error") for _ in range(30)]
    acks = [r for r in replies if r["type"] == "ack"]
    limited = [r for r in replies if r["type"] == "error"]
    assert len(acks) == 5 and {r["code"] for r in limited} == {"rate_limited"}
    assert await count_hints() == len(acks)
    frozen_clock.now += 2.1  # the bucket refills one frame in two seconds
    await send(comm, type="hint.add", request_id="later", hint=RED)
    assert (await next_frame(comm, "ack"))["request_id"] == "later"
    await close_all(comm)


@pytest.mark.usefixtures("layer")
async def test_cursors_go_to_the_others_and_are_throttled(people, photo, settings, frozen_clock):
    settings.ROOM_CURSOR_INTERVAL_MS = 200
    a, _ = await joined(people.curator, photo)
    b, _ = await joined(people.viewer, photo)
    for i in range(10):
        await send(a, type="cursor", x=i / 10, y=0.5)
    seen = [await next_frame(b, "cursor")]
    assert (seen[0]["x"], seen[0]["user"]["username"]) == (0.0, "curator")
    while seen[-1]["x"] != 0.9:  # the trailing position always goes out; most in between were dropped
        seen.append(await next_frame(b, "cursor"))
    assert len(seen) == 2  # all ten within one interval: the first and the trailing one
    assert [f for f in await drain(b) if f["type"] == "cursor"] == []
    assert [f for f in await drain(a) if f["type"] == "cursor"] == []  # nobody gets their own cursor back
    await close_all(a, b)


@pytest.mark.usefixtures("layer")
async def test_the_full_asgi_stack_takes_a_token_and_checks_the_origin(people, photo):
    from rest_framework.authtoken.models import Token

    from config.asgi import application

    key = (await database_sync_to_async(Token.objects.create)(user=people.curator)).key
    headers = [
        (b"authorization", f"Token {key}".encode()),
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
    ]
    comm = WebsocketCommunicator(application, f"/ws/photos/{photo.pk}/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["you"]["username"] == "curator"
    await comm.disconnect()
    evil = WebsocketCommunicator(
        application, f"/ws/photos/{photo.pk}/", headers=[headers[0], (b"origin", b"http://evil.example")]
    )
    connected, _ = await evil.connect(timeout=5)
    assert not connected


async def test_a_client_that_keeps_flooding_is_closed_with_4429(people, photo, settings):
    settings.ROOM_RATE_CAPACITY = 1
    settings.ROOM_RATE_PER_SECOND = 0.01
    settings.ROOM_FLOOD_CLOSE_AFTER = 5
    comm, _ = await joined(people.curator, photo)
    for i in range(8):
        await comm.send_to(text_data=json.dumps({"type": "ping", "request_id": str(i)}))
    codes = []
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        codes.append(json.loads(output["text"]).get("code"))
    assert output["code"] == 4429 and codes.count("rate_limited") == 5
    await comm.disconnect()


async def test_a_viewer_asking_for_suggestions_is_refused_before_the_model_runs(people, photo, monkeypatch):
    from colorize.services import preview

    def model_must_not_run(*args):
        raise AssertionError("the model ran for a viewer")

    monkeypatch.setattr(preview, "suggest_colors", model_must_not_run)
    comm, _ = await joined(people.viewer, photo)
    await send(comm, type="suggest", request_id="s1", x=0.5, y=0.5)
    error = await next_frame(comm, "error")
    assert (error["request_id"], error["code"]) == ("s1", "forbidden")
    await close_all(comm)


async def test_a_flooding_curator_is_logged_once_however_many_frames_follow(people, photo, settings, caplog):
    import logging

    settings.ROOM_RATE_CAPACITY = 1
    settings.ROOM_RATE_PER_SECOND = 0.01
    settings.ROOM_FLOOD_CLOSE_AFTER = 2
    comm, _ = await joined(people.curator, photo)
    with caplog.at_level(logging.WARNING, logger="colorize.consumers"):
        for i in range(30):
            await comm.send_to(text_data=json.dumps({"type": "ping", "request_id": str(i)}))
        while (await comm.receive_output(timeout=3))["type"] != "websocket.close":
            pass
        await comm.send_to(text_data=json.dumps({"type": "ping", "request_id": "late"}))
        await comm.receive_nothing(timeout=0.5)
    flood_lines = [r for r in caplog.records if "closing a flooding connection" in r.getMessage()]
    assert len(flood_lines) == 1
    await comm.disconnect()
