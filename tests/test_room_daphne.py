"""The photo room against a REAL daphne (tests/stack.py: daphne, a private redis-server, a throwaway PostgreSQL
database), where Channels' communicator cannot go: autobahn refuses a send on a closing socket and close codes
outside 1000 and 3000-4999, and Redis really stops and starts again (docs/hint-protocol.md, "Connection
lifecycle").

Waits are on conditions (a frame, a row count); the deadlines only keep a broken server from hanging the suite.
"""

import asyncio
import base64
import json
import os
import socket
import struct
import time
import uuid

import pytest

from tests.stack import running_stack

pytestmark = [pytest.mark.slow, pytest.mark.services]

TTL = 3  # seconds: ROOM_PRESENCE_TTL_SECONDS of this deployment
SETTINGS = {
    "ROOM_PREVIEW_BACKEND": "off",
    "ROOM_HEARTBEAT_SECONDS": "1",
    "ROOM_PRESENCE_TTL_SECONDS": str(TTL),
    "ROOM_RATE_CAPACITY": "200",
    "ROOM_RATE_PER_SECOND": "200",
    "ROOM_CURSOR_INTERVAL_MS": "1",
    "ROOM_FLOOD_CLOSE_AFTER": "20",
}
SETUP = """
from rest_framework.authtoken.models import Token
from accounts.models import Role
from tests.factories import CollectionFactory, UserFactory, add_member, make_photo
tag = sys.argv[1]
owner = UserFactory(username=f"owner-{tag}")
collection = CollectionFactory(owner=owner)
curator, viewer = UserFactory(username=f"curator-{tag}"), UserFactory(username=f"viewer-{tag}")
add_member(collection, curator, Role.CURATOR)
add_member(collection, viewer, Role.VIEWER)
photo = make_photo(collection)
print(json.dumps({"photo": photo.pk, **{k: Token.objects.create(user=u).key
                  for k, u in (("curator", curator), ("viewer", viewer))}}))
"""
FLOOD_AFTER = 20
TRY_AGAIN = 4013  # docs/hint-protocol.md: the room's "try again later"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("room-stack"), "fc_rooms", **SETTINGS) as s:
        yield s


@pytest.fixture
def world(stack) -> dict:
    return stack.django(SETUP, uuid.uuid4().hex[:8])


def connect(stack, world, who: str):
    import websockets

    return websockets.connect(
        f"ws://127.0.0.1:{stack.web_port}/ws/photos/{world['photo']}/",
        additional_headers={"Authorization": f"Token {world[who]}"},
        open_timeout=10,
        close_timeout=2,
    )


async def frame_of(ws, kind: str, timeout: float = 20) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def close_code(ws, timeout: float = 20) -> int:
    """Read until the server closes the socket; -> its close code."""
    import websockets

    async with asyncio.timeout(timeout):
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


def presence_rows(stack, photo: int) -> list[str]:
    return [
        row[0] for row in stack.sql("SELECT connection FROM colorize_roompresence WHERE photo_id = %s", photo)
    ]


def wait_for(condition, timeout: float, what: str, stack):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} after {timeout}s\n{stack.logs()}")
        time.sleep(0.1)


class StalledClient:
    """A WebSocket client that completes the handshake, then never reads again: the server's writes to it pile
    up, and it never answers the server's close. It can still send, and close its socket."""

    def __init__(self, port: int, photo: int, token: str):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /ws/photos/{photo}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Authorization: Token {token}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _frame(self, opcode: int, payload: bytes) -> bytes:
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked

    def flood(self, frames: int):
        """Frames as fast as the socket takes them: the room closes the connection for flooding (4429)."""
        self.sock.sendall(b"".join(self._frame(0x1, b'{"type":"ping"}') for _ in range(frames)))

    def drop(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


async def _broadcast_until(ws, stop: asyncio.Event):
    """Cursor moves as fast as the room takes them (each goes to everybody in the room)."""
    i = 0
    while not stop.is_set():
        i += 1
        await ws.send(json.dumps({"type": "cursor", "x": (i % 100) / 100, "y": 0.5}))
        await asyncio.sleep(0.005)


def test_a_viewer_who_stops_reading_and_closes_leaves_no_ghost_presence(stack, world):
    photo = world["photo"]

    async def scenario():
        async with connect(stack, world, "curator") as writer:
            me = (await frame_of(writer, "snapshot"))["you"]["connection"]
            stalled = await asyncio.to_thread(StalledClient, stack.web_port, photo, world["viewer"])
            joined = await frame_of(writer, "presence")
            while joined["connection"] == me:  # our own join first
                joined = await frame_of(writer, "presence")
            ghost = joined["connection"]
            assert joined["action"] == "join" and ghost in presence_rows(stack, photo)
            stop = asyncio.Event()
            sender = asyncio.create_task(_broadcast_until(writer, stop))
            await asyncio.sleep(0.5)  # the room broadcasts to a socket that does not read
            # It floods: the server closes it (4429) and waits for the close answer that never comes, while the
            # room's events keep coming for it (autobahn refuses each send on the closing socket).
            await asyncio.to_thread(stalled.flood, 2 * FLOOD_AFTER + 400)
            await asyncio.sleep(1)
            stalled.drop()
            stop.set()
            await sender
            # Its presence goes (at once on a clean teardown; at the latest when the TTL prunes it).
            try:
                async with asyncio.timeout(10 * TTL):
                    while True:
                        frame = await frame_of(writer, "presence")
                        if ghost not in {c for p in frame["people"] for c in p["connections"]}:
                            break
            except TimeoutError:
                raise AssertionError(
                    f"{ghost} still present: {presence_rows(stack, photo)}\n{stack.logs()}"
                ) from None
            assert ghost not in presence_rows(stack, photo)
            await writer.send(json.dumps({"type": "ping", "request_id": "alive"}))
            assert (await frame_of(writer, "pong"))["request_id"] == "alive"

    asyncio.run(scenario())
    # And it stays gone: nothing refreshes a dead connection's row (a later heartbeat round would bring it back).
    time.sleep(2 * TTL)
    assert presence_rows(stack, photo) == []


def test_a_redis_restart_closes_open_rooms_with_try_again_and_new_sockets_work_at_once(stack, world):
    import websockets

    photo = world["photo"]

    async def before_outage() -> tuple[list[int], list]:
        curator = await connect(stack, world, "curator")
        viewer = await connect(stack, world, "viewer")
        await frame_of(curator, "snapshot")
        await frame_of(viewer, "snapshot")
        ids = []
        for i in range(3):
            hint = {"x": 0.1 + i / 10, "y": 0.5, "color": "#2e8b57"}
            await curator.send(json.dumps({"type": "hint.add", "request_id": f"before-{i}", "hint": hint}))
            ids.append((await frame_of(curator, "ack"))["hint"]["id"])
        return ids, [curator, viewer]

    async def outage(sockets) -> list[int]:
        await asyncio.to_thread(stack.stop_redis)
        return list(await asyncio.gather(*(close_code(ws) for ws in sockets)))

    async def first_working_socket() -> tuple[dict, list, object]:
        """Connect until a socket gets its snapshot; -> (snapshot, close codes of the others, the socket)."""
        refused = []
        while True:
            try:
                ws = await connect(stack, world, "viewer")
            except (OSError, websockets.InvalidStatus) as exc:  # a refused handshake (an HTTP 500 included)
                refused.append(repr(exc))
                continue
            first = json.loads(await ws.recv()) if ws.state is websockets.State.OPEN else None
            if first is not None and first["type"] == "snapshot":
                return first, refused, ws
            refused.append(await close_code(ws))

    async def scenario():
        ids, sockets = await before_outage()
        codes = await outage(sockets)
        assert codes == [TRY_AGAIN, TRY_AGAIN], stack.logs()
        await asyncio.to_thread(
            wait_for, lambda: presence_rows(stack, photo) == [], 10 * TTL, "rows left", stack
        )
        await asyncio.to_thread(stack.start_redis)
        async with asyncio.timeout(5):  # new sockets work at once
            snapshot, refused, ws = await first_working_socket()
        await ws.close()
        assert all(code == TRY_AGAIN for code in refused), refused  # never 1011, never an HTTP 500
        assert [h["id"] for h in snapshot["hints"]] == ids  # every acknowledged hint is still there
        assert [c for p in snapshot["people"] for c in p["connections"]] == [snapshot["you"]["connection"]]

    asyncio.run(scenario())
    wait_for(lambda: presence_rows(stack, photo) == [], 10 * TTL, "presence rows left", stack)
