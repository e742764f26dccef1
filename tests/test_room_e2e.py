"""End to end: a real daphne server and real WebSocket clients (the `websockets` library)."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rest_framework.authtoken.models import Token
from accounts.models import Role
from tests.factories import CollectionFactory, UserFactory, add_member, make_photo
owner = UserFactory(username="owner")
collection = CollectionFactory(owner=owner)
curator, viewer, outsider = (UserFactory(username=n) for n in ("curator", "viewer", "outsider"))
add_member(collection, curator, Role.CURATOR)
add_member(collection, viewer, Role.VIEWER)
photo = make_photo(collection)
print(json.dumps({"photo": photo.pk, **{u.username: Token.objects.create(user=u).key for u in (curator, viewer, outsider)}}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A daphne serving config.asgi on a free port, with its own SQLite file and media folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        FINDCOLOR_VAR_DIR=str(tmp_path),
        MEDIA_ROOT=str(tmp_path / "media"),
        ROOM_PREVIEW_BACKEND="off",
        PYTHONPATH=str(ROOT),
    )
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert setup.returncode == 0, setup.stderr
    data = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    log = open(tmp_path / "daphne.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert process.poll() is None, (tmp_path / "daphne.log").read_text()
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
    try:
        yield {"base": f"ws://127.0.0.1:{port}", "origin": f"http://127.0.0.1:{port}", **data}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def connect(server, user):
    return websockets.connect(
        f"{server['base']}/ws/photos/{server['photo']}/",
        additional_headers={"Authorization": f"Token {server[user]}"},
        origin=server["origin"],
        open_timeout=10,
    )


async def frame_of(ws, kind, timeout=10):
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


def test_a_hint_placed_by_one_client_reaches_the_other_and_outsiders_are_refused(server):
    async def scenario():
        async with connect(server, "curator") as a, connect(server, "viewer") as b:
            assert (await frame_of(a, "snapshot"))["you"]["username"] == "curator"
            assert (await frame_of(b, "snapshot"))["hints"] == []
            await a.send(
                json.dumps(
                    {
                        "type": "hint.add",
                        "request_id": "e2e-1",
                        "hint": {"x": 0.3, "y": 0.6, "color": "#2e8b57"},
                    }
                )
            )
            added = await frame_of(b, "hint.added")
            assert (added["hint"]["color"], added["by"]["username"], added["request_id"]) == (
                "#2e8b57",
                "curator",
                "e2e-1",
            )
            assert (await frame_of(a, "ack"))["hint"]["id"] == added["hint"]["id"]
            await b.send("{not json")
            assert (await frame_of(b, "error"))["code"] == "bad_json"
            await b.send(json.dumps({"type": "ping", "request_id": "still-here"}))
            assert (await frame_of(b, "pong"))["request_id"] == "still-here"
        async with connect(server, "outsider") as c:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await c.recv()
            assert closed.value.rcvd.code == 4403

    asyncio.run(scenario())
