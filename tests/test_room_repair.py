"""Repair mask strokes as room frames (docs/hint-protocol.md, "Repair mask frames"; docs/repair.md): a curator's
brush and eraser strokes and their undo travel over the photo's socket, through the same services as REST, and
reach everyone in the room; viewers and malformed strokes are refused with an error frame and store nothing. And
"Find damage" pushes its progress to the room as throttled `repair.scan` events."""

import asyncio
import io

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from PIL import Image

from colorize.models import DamageScan, RepairMask, RepairStroke, RunStatus
from colorize.services import repair_scan
from tests.test_repair_support import REPAIRER_PATH, scratched_photo
from tests.test_room_consumer import close_all, drain, joined, layer, next_frame, reply_to, send  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

W, H = 64, 48  # the scratched photo's working image
REPAIR_EVENTS = {"repair.mask", "repair.stroke_undone", "repair.scan"}


@pytest.fixture(autouse=True)
def _room(no_previews, short_lived_connections, memory_layer, settings):
    settings.REPAIRER = REPAIRER_PATH


@pytest.fixture
def photo(people):
    return scratched_photo(people)


def _mask() -> np.ndarray:
    repair_mask = RepairMask.objects.get()
    with repair_mask.mask.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        return np.asarray(image) == 255


strokes = database_sync_to_async(
    lambda: list(RepairStroke.objects.values_list("action", "undone_by__username"))
)
stored_mask = database_sync_to_async(_mask)


def heard_repair(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["type"] in REPAIR_EVENTS]


# ------------------------------------------------------------------------------------------------ strokes


@pytest.mark.usefixtures("layer")  # the in-memory layer, and Redis (core and pub/sub)
async def test_a_curators_stroke_frame_reaches_a_second_member_and_is_logged(people, photo):
    curator, _ = await joined(people.curator, photo)
    viewer, _ = await joined(people.viewer, photo)
    stroke = {"action": "add", "points": [[10, 20], [40, 20.5]], "radius": 2}
    await send(curator, type="repair.stroke", request_id="c1-1", stroke=stroke)
    ack = await reply_to(curator, "c1-1")
    assert ack["type"] == "ack" and ack["action"] == "repair.stroke", ack
    assert ack["mask"]["revision"] == 1 and ack["stroke"]["created_by"] == "curator"
    assert ack["stroke"]["points"] == [[10, 20], [40, 20.5]] and ack["stroke"]["radius"] == 2
    event = await next_frame(viewer, "repair.mask")
    assert event["request_id"] == "c1-1" and event["mask"]["revision"] == 1
    assert event["stroke"] == ack["stroke"]
    mine = await next_frame(curator, "repair.mask")  # the sender hears it too
    assert mine["stroke"]["id"] == ack["stroke"]["id"]
    assert await strokes() == [("add", None)]
    mask = await stored_mask()
    assert mask[20, 25] and mask[22, 40] and not mask[30, 25]
    await close_all(curator, viewer)


async def test_a_viewers_stroke_frame_is_refused_and_nothing_is_stored(people, photo):
    viewer, _ = await joined(people.viewer, photo)
    curator, _ = await joined(people.curator, photo)
    await drain(viewer)
    await send(viewer, type="repair.stroke", request_id="v-1", stroke={"action": "add", "points": [[3, 3]]})
    error = await reply_to(viewer, "v-1")
    assert error["type"] == "error" and error["code"] == "forbidden", error
    await send(viewer, type="repair.stroke_undo", request_id="v-2")
    assert (await reply_to(viewer, "v-2"))["code"] == "forbidden"
    assert await strokes() == []
    assert not await database_sync_to_async(RepairMask.objects.exists)()
    assert heard_repair(await drain(curator)) == []
    await close_all(viewer, curator)


async def test_a_curator_undoes_a_stroke_by_frame_and_the_room_hears_it(people, photo):
    curator, _ = await joined(people.curator, photo)
    owner, _ = await joined(people.owner, photo)
    await send(
        curator, type="repair.stroke", request_id="c-1", stroke={"action": "add", "points": [[10, 10]]}
    )
    await reply_to(curator, "c-1")
    erase = {"action": "remove", "points": [[10, 10]], "radius": 5}
    await send(owner, type="repair.stroke", request_id="o-1", stroke=erase)
    assert (await reply_to(owner, "o-1"))["mask"]["pixels"] == 0
    await drain(owner)
    await send(curator, type="repair.stroke_undo", request_id="c-2")  # undoes the latest: the owner's eraser
    ack = await reply_to(curator, "c-2")
    assert ack["action"] == "repair.stroke_undo" and ack["stroke"]["action"] == "remove"
    assert ack["stroke"]["undone_by"] == "curator" and ack["mask"]["revision"] == 3
    event = await next_frame(owner, "repair.stroke_undone")
    assert event["request_id"] == "c-2" and event["mask"]["revision"] == 3 and event["mask"]["pixels"] > 0
    assert await strokes() == [("add", None), ("remove", "curator")]
    assert (await stored_mask())[10, 10]
    await send(curator, type="repair.stroke_undo", request_id="c-3")
    await reply_to(curator, "c-3")
    await send(curator, type="repair.stroke_undo", request_id="c-4")
    assert (await reply_to(curator, "c-4"))["code"] == "nothing_to_undo"
    await close_all(curator, owner)


async def test_a_stroke_or_undo_frame_sent_again_by_the_curator_changes_nothing_and_answers_the_first(
    people, photo
):
    curator, _ = await joined(people.curator, photo)
    owner, _ = await joined(people.owner, photo)
    for points in ([[10, 10]], [[30, 30]]):
        await send(
            curator,
            type="repair.stroke",
            request_id=f"c-{points[0][0]}",
            stroke={"action": "add", "points": points},
        )
        await reply_to(curator, f"c-{points[0][0]}")
    await send(
        curator, type="repair.stroke", request_id="c-30", stroke={"action": "add", "points": [[30, 30]]}
    )
    again = await reply_to(curator, "c-30")
    assert again["duplicate"] is True and again["mask"]["revision"] == 2
    await send(curator, type="repair.stroke_undo", request_id="c-undo")
    first = await reply_to(curator, "c-undo")
    assert first["duplicate"] is False and first["mask"]["revision"] == 3
    await drain(owner)
    # the undo frame sent again (say, after a reconnect) must not undo the stroke before it too
    await send(curator, type="repair.stroke_undo", request_id="c-undo")
    retried = await reply_to(curator, "c-undo")
    assert retried["duplicate"] is True and retried["stroke"]["id"] == first["stroke"]["id"]
    assert retried["mask"]["revision"] == 3
    assert await strokes() == [("add", None), ("add", "curator")]
    assert heard_repair(await drain(owner)) == []  # nothing was broadcast for the retries
    mask = await stored_mask()
    assert mask[10, 10] and not mask[30, 30]
    # the same request_id from another person is their own write
    await send(owner, type="repair.stroke_undo", request_id="c-undo")
    assert (await reply_to(owner, "c-undo"))["duplicate"] is False
    assert await strokes() == [("add", "owner"), ("add", "curator")]
    await close_all(curator, owner)


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"type": "repair.stroke", "request_id": "x"}, "stroke"),
        ({"type": "repair.stroke", "request_id": "x", "stroke": [[1, 1]]}, "stroke"),
        (
            {"type": "repair.stroke", "request_id": "x", "stroke": {"action": "paint", "points": [[1, 1]]}},
            "action",
        ),
        (
            {"type": "repair.stroke", "request_id": "x", "stroke": {"action": "add", "points": [[W, 1]]}},
            "points",
        ),
        (
            {"type": "repair.stroke", "request_id": "x", "stroke": {"action": "add", "points": [[1, "a"]]}},
            "points",
        ),
        ({"type": "repair.stroke", "request_id": "x", "stroke": {"action": "add", "points": []}}, "points"),
        (
            {
                "type": "repair.stroke",
                "request_id": "x",
                "stroke": {"action": "add", "points": [[1, 1]] * 2001},
            },
            "points",
        ),
        (
            {
                "type": "repair.stroke",
                "request_id": "x",
                "stroke": {"action": "add", "points": [[1, 1]], "radius": 0},
            },
            "radius",
        ),
        ({"type": "repair.stroke", "stroke": {"action": "add", "points": [[1, 1]]}}, "request_id"),
    ],
)
async def test_a_malformed_stroke_frame_gets_an_error_frame_and_stores_nothing(people, photo, frame, field):
    curator, _ = await joined(people.curator, photo)
    owner, _ = await joined(people.owner, photo)
    await drain(curator)
    await curator.send_json_to(frame)
    error = await next_frame(curator, "error")
    assert error["code"] == "invalid" and field in error["fields"], error
    assert error["request_id"] == frame.get("request_id")
    await send(curator, type="ping", request_id="alive")
    assert (await next_frame(curator, "pong"))["request_id"] == "alive"  # the connection stays open
    assert await strokes() == []
    assert heard_repair(await drain(owner)) == []
    await close_all(curator, owner)


async def test_stroke_frames_spend_from_the_connections_rate_budget_like_hint_frames(people, photo, settings):
    settings.ROOM_RATE_CAPACITY = 2
    settings.ROOM_RATE_PER_SECOND = 0.001
    curator, _ = await joined(people.curator, photo)
    for n in range(3):
        await send(
            curator, type="repair.stroke", request_id=f"r-{n}", stroke={"action": "add", "points": [[5, 5]]}
        )
    frames = await drain(curator)
    refused = [f for f in frames if f["type"] == "error"]
    assert [f["code"] for f in refused] == ["rate_limited"]
    assert len([f for f in frames if f["type"] == "ack"]) == 2
    assert await strokes() == [("add", None), ("add", None)]
    await close_all(curator)


# ------------------------------------------------------------------------------------------------ scan progress


_TILED: dict = {}


def tiled_repairer():
    """The tests' repairer, detecting in 16-pixel tiles: a 64 x 48 photo takes 12 tiles, so it has progress."""
    from ml.repair import Repairer
    from tests.test_repair_support import repairer

    if "r" not in _TILED:
        _TILED["r"] = Repairer.load(repairer().path, detect_tile=16)
    return _TILED["r"]


def _listen(photo_id: int):
    channels = get_channel_layer()
    channel = async_to_sync(channels.new_channel)()
    async_to_sync(channels.group_add)(f"photo.{photo_id}", channel)

    async def received() -> list[dict]:
        found = []
        while True:
            try:  # what was sent is queued already: an empty queue stays empty
                message = await asyncio.wait_for(channels.receive(channel), 0.1)
            except TimeoutError:
                return found
            found.append(message["event"])

    return async_to_sync(received)


def test_find_damage_pushes_its_progress_to_the_room_as_scan_events(people, settings, transactional_db):
    settings.REPAIRER = "tests.test_room_repair.tiled_repairer"
    photo = scratched_photo(people)
    heard = _listen(photo.pk)
    scan = DamageScan.objects.create(photo=photo, requested_by=people.curator)
    assert repair_scan.execute_scan(scan.pk) == RunStatus.DONE
    scans = [e["scan"] for e in heard() if e["type"] == "repair.scan"]
    assert all(s["id"] == scan.pk for s in scans)
    assert scans[0]["status"] == "running" and scans[0]["progress"] == 0
    assert scans[-1]["status"] == "done" and scans[-1]["progress"] == 100
    between = [s["progress"] for s in scans[1:-1]]
    assert between and all(s["status"] == "running" for s in scans[1:-1]), scans
    assert all(0 < p < 100 for p in between) and between == sorted(set(between))


def test_scan_progress_events_are_throttled_by_time_and_by_step(people, transactional_db):
    photo = scratched_photo(people)
    scan = DamageScan.objects.create(photo=photo, status=RunStatus.RUNNING, claim="mine")
    heard = _listen(photo.pk)
    now = [100.0]
    reporter = repair_scan._ScanReporter(scan, "mine")
    reporter.clock = lambda: now[0]
    sent = []
    for at, fraction in [
        (0.0, 0.01),
        (0.1, 0.03),
        (0.2, 0.07),
        (0.3, 0.08),
        (0.9, 0.09),
        (0.95, 0.09),
        (1.0, 1.0),
    ]:
        now[0] = 100.0 + at
        reporter.progress(fraction)
        sent.append([e["scan"]["progress"] for e in heard()])
    # 1 %: the first; 3 %: too soon and too small; 7 %: 6 points on; 8 %: too soon; 9 %: 0.7 s later; 9 % again:
    # no progress; the end: always (capped at 99 until the mask is stored)
    assert sent == [[1], [], [7], [], [9], [], [99]]
    assert DamageScan.objects.get(pk=scan.pk).progress == 99
    DamageScan.objects.filter(pk=scan.pk).update(status=RunStatus.CANCELLED)
    now[0] += 5
    reporter.last_percent = 50
    reporter.progress(0.6)
    assert heard() == []  # a cancelled scan's progress is neither written nor sent
