"""The photo room against hostile clients: Origin with scheme, host and port; one rate budget for every frame;
the flood close that fires; malformed frames answered `invalid`; colours stored exactly."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from colorize import consumers
from colorize.models.hints import Hint
from tests.test_room_consumer import (  # noqa: F401  (_room_settings: the room tests' autouse settings)
    RED,
    _room_settings,
    count_hints,
    joined,
    next_frame,
    send,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]


class FakeClock:
    """The buckets' clock, moved by the test: time passes only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(consumers.TokenBucket, "clock", staticmethod(fake))
    return fake


# ------------------------------------------------------------------------------------------- origin


async def _handshake(user, photo, headers, scheme="ws"):
    from rest_framework.authtoken.models import Token

    from config.asgi import application

    key = (await database_sync_to_async(Token.objects.get_or_create)(user=user))[0].key
    comm = WebsocketCommunicator(
        application,
        f"/ws/photos/{photo.pk}/",
        headers=[(b"authorization", f"Token {key}".encode()), *headers],
    )
    comm.scope["scheme"] = scheme
    connected, _ = await comm.connect(timeout=5)
    await comm.disconnect()
    return connected


@pytest.mark.parametrize(
    "host, origin, scheme, allowed",
    [
        ("localhost:8000", "http://localhost:8000", "ws", True),
        ("localhost", "http://localhost", "ws", True),
        ("localhost", "http://localhost:80", "ws", True),
        ("localhost:8000", "http://localhost:8001", "ws", False),  # another port of the same host
        ("localhost:8000", "http://localhost", "ws", False),
        ("localhost", "https://localhost", "ws", False),  # another scheme
        ("localhost", "https://localhost", "wss", True),
        ("localhost:8000", "http://evil.example:8000", "ws", False),
        ("evil.example", "http://evil.example", "ws", False),  # a host outside ALLOWED_HOSTS
        ("localhost:8000", "null", "ws", False),
    ],
)
async def test_the_room_opens_only_for_pages_of_the_same_scheme_host_and_port(
    people, photo, host, origin, scheme, allowed
):
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    assert await _handshake(people.curator, photo, headers, scheme) is allowed


async def test_a_trusted_origin_and_the_tls_proxy_header_are_honoured(people, photo, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://archive.example.org"]
    settings.ALLOWED_HOSTS = ["archive.example.org", "internal"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    trusted = [(b"host", b"internal:8000"), (b"origin", b"https://archive.example.org")]
    assert await _handshake(people.curator, photo, trusted)
    proxied = [
        (b"host", b"archive.example.org"),
        (b"origin", b"https://archive.example.org"),
        (b"x-forwarded-proto", b"https"),
    ]
    assert await _handshake(people.curator, photo, proxied)
    plain = [(b"host", b"archive.example.org:8443"), (b"origin", b"https://archive.example.org:8443")]
    assert not await _handshake(people.curator, photo, plain)


# -------------------------------------------------------------------------------------- rate budget


async def test_invalid_json_binary_and_bad_cursors_spend_the_same_budget(people, photo, settings, clock):
    settings.ROOM_RATE_CAPACITY = 3
    settings.ROOM_RATE_PER_SECOND = 1
    comm, _ = await joined(people.curator, photo)
    await comm.send_to(text_data="{not json")
    await comm.send_to(bytes_data=b"\x00\x01")
    for _ in range(4):  # a bad cursor costs a quarter
        await comm.send_to(text_data=json.dumps({"type": "cursor", "x": 3, "y": 0.5}))
    codes = [(await next_frame(comm, "error"))["code"] for _ in range(6)]
    assert codes == ["bad_json", "bad_frame", "invalid", "invalid", "invalid", "invalid"]
    await send(comm, type="ping", request_id="p")
    assert (await next_frame(comm, "error", "pong"))["code"] == "rate_limited"
    clock.now += 1  # one frame's worth of budget comes back
    await send(comm, type="ping", request_id="p2")
    assert (await next_frame(comm, "error", "pong"))["type"] == "pong"
    await comm.disconnect()


async def test_a_persistent_flooder_is_closed_with_4429_although_the_budget_refills(
    people, photo, settings, clock
):
    settings.ROOM_RATE_CAPACITY = 3
    settings.ROOM_RATE_PER_SECOND = 1
    settings.ROOM_FLOOD_CLOSE_AFTER = 10
    comm, _ = await joined(people.curator, photo)
    outputs = []
    for i in range(60):  # two frames a second against a budget of one a second, forever
        clock.now += 0.5
        await comm.send_to(text_data=json.dumps({"type": "ping", "request_id": str(i)}))
        output = await comm.receive_output(timeout=3)  # each answer (or the close) before time moves on
        while output["type"] != "websocket.close" and json.loads(output["text"])["type"] not in (
            "pong",
            "error",
        ):
            output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        outputs.append(json.loads(output["text"]))
    kinds = [o.get("code") or o["type"] for o in outputs if o["type"] in ("pong", "error")]
    assert output["code"] == 4429
    assert kinds.count("rate_limited") == 10
    assert kinds.count("pong") > 3  # some frames got through in between: the refills did not save it
    await comm.disconnect()


async def test_a_client_that_pauses_until_its_budget_is_full_is_forgiven(people, photo, settings, clock):
    settings.ROOM_RATE_CAPACITY = 2
    settings.ROOM_RATE_PER_SECOND = 1
    settings.ROOM_FLOOD_CLOSE_AFTER = 3
    comm, _ = await joined(people.curator, photo)
    for round_ in range(4):
        for i in range(5):  # 2 pass, 3 refused: as many as the close allows
            await send(comm, type="ping", request_id=f"{round_}-{i}")
        replies = [await next_frame(comm, "pong", "error") for _ in range(5)]
        assert [r["type"] for r in replies].count("error") == 3
        clock.now += 10  # a pause: the budget is full again
    await send(comm, type="ping", request_id="last")
    assert (await next_frame(comm, "pong"))["request_id"] == "last"
    await comm.disconnect()


# -------------------------------------------------------------------------------- malformed frames


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"type": {"a": 1}, "request_id": "r"}),
        json.dumps({"type": ["hint.add"], "request_id": "r"}),
        '{"type": "cursor", "x": ' + "9" * 4000 + ', "y": 0.5}',
        '{"type": "suggest", "request_id": "r", "x": ' + "1" * 4000 + ', "y": 0.5}',
        '{"type": "hint.add", "request_id": "r", "hint": {"x": '
        + "1" * 4000
        + ', "y": 0.5, "color": "#000000"}}',
        '{"type": "hint.add", "request_id": "r", "hint": {"x": 1e999, "y": 0.5, "color": "#000000"}}',
        '{"type": "hint.add", "request_id": "r", "hint": {"x": NaN, "y": 0.5, "color": "#000000"}}',
        json.dumps({"type": "hint.add", "request_id": "r", "hint": {**RED, "evidence_note": "\ud800"}}),
        json.dumps({"type": "hint.add", "request_id": "r", "hint": {**RED, "color": "#ffffff\n"}}),
        json.dumps({"type": "hint.add", "request_id": "r", "hint": {**RED, "color": {"r": 1}}}),
        json.dumps({"type": "hint.add", "request_id": "r", "hint": {**RED, "shape": {"x": 1}}}),
        json.dumps({"type": "hint.update", "request_id": "r", "id": {"x": 1}, "revision": 1, "hint": {}}),
        json.dumps({"type": "hint.update", "request_id": "r", "id": 1, "revision": [1], "hint": {}}),
        json.dumps({"type": "hint.undo", "request_id": "r", "event": {"x": 1}}),
        json.dumps({"type": "suggest", "request_id": "r", "x": 0.5, "y": 0.5, "k": 1e300}),
    ],
    ids=lambda raw: raw[:60],
)
async def test_a_malformed_frame_is_answered_invalid_never_internal(people, photo, raw):
    comm, _ = await joined(people.owner, photo)
    await comm.send_to(text_data=raw)
    error = await next_frame(comm, "error")
    assert error["code"] in ("invalid", "not_found"), error
    assert await count_hints() == 0
    await send(comm, type="hint.add", request_id="ok", hint=RED)
    assert (await next_frame(comm, "ack"))["request_id"] == "ok"
    await comm.disconnect()


async def test_deeply_nested_json_is_bad_json_not_a_crash(people, photo):
    comm, _ = await joined(people.curator, photo)
    await comm.send_to(text_data="[" * 20000 + "]" * 20000)
    assert (await next_frame(comm, "error"))["code"] in ("bad_json", "too_large")
    await comm.disconnect()


async def test_colours_are_stored_without_a_newline_through_the_socket_and_the_api(people, photo, client_for):
    comm, _ = await joined(people.curator, photo)
    await send(comm, type="hint.add", request_id="nl", hint={**RED, "color": "#FFFFFF\n"})
    assert (await next_frame(comm, "error"))["code"] == "invalid"
    await send(comm, type="hint.add", request_id="ok", hint={**RED, "color": "#FFFFFF"})
    assert (await next_frame(comm, "ack"))["hint"]["color"] == "#ffffff"
    await comm.disconnect()
    response = await database_sync_to_async(
        lambda: client_for(people.curator).post(
            f"/api/photos/{photo.pk}/hints/", {**RED, "color": "#b22222\n"}, content_type="application/json"
        )
    )()
    assert response.status_code == 400
    colors = await database_sync_to_async(lambda: list(Hint.objects.values_list("color", flat=True)))()
    assert colors == ["#ffffff"]
