"""Live previews and suggestions in the room, with the real shipped model (ml.get_colorizer)."""

import base64
import io
import uuid

import numpy as np
import pytest
from channels.db import database_sync_to_async
from PIL import Image

from colorize.models.hints import hex_to_lab
from tests.factories import make_photo
from tests.test_room_consumer import joined, next_frame, reply_to, send

pytest.importorskip("ml.colorizer")
# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.embedded]

RED = {"x": 0.5, "y": 0.5, "color": "#b22222", "radius": 0.05}


@pytest.fixture(autouse=True)
def _preview_settings(settings, short_lived_connections):
    settings.ROOM_PREVIEW_BACKEND = "inprocess"
    settings.ROOM_PREVIEW_DEBOUNCE_MS = 150
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def photo(people):
    return make_photo(people.collection, width=96, height=64)


def decode(frame) -> np.ndarray:
    assert frame["image"].startswith("data:image/png;base64,")
    data = base64.b64decode(frame["image"].split(",", 1)[1])
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def ab_at(rgb: np.ndarray, x: float, y: float) -> tuple[float, float]:
    r, g, b = rgb[int(y * rgb.shape[0]), int(x * rgb.shape[1])]
    _, a, bb = hex_to_lab(f"#{r:02x}{g:02x}{b:02x}")
    return a, bb


async def test_a_hint_change_brings_a_preview_with_that_hint_tagged_with_its_revision(people, photo):
    comm, _ = await joined(people.owner, photo)
    await send(comm, type="hint.add", request_id="a", hint=RED)
    hint = (await reply_to(comm, "a"))["hint"]
    await send(
        comm, type="hint.verify", request_id="v", id=hint["id"], revision=1, hint={"evidence_note": "caption"}
    )
    while True:
        frame = await next_frame(comm, "preview", timeout=60)
        assert "error" not in frame, frame
        if frame["room_revision"] == 2:
            break
        assert frame["room_revision"] == 1
    assert frame["hints"] == 1
    rgb = decode(frame)
    assert rgb.shape == (frame["height"], frame["width"], 3) and max(rgb.shape[:2]) <= 256
    a, b = ab_at(rgb, 0.5, 0.5)
    _, want_a, want_b = hex_to_lab("#b22222")
    assert abs(a - want_a) < 3 and abs(b - want_b) < 3  # the verified colour, exactly (up to 8-bit rounding)
    assert frame["model"]["name"]
    await comm.disconnect()


async def test_rapid_changes_are_debounced_into_one_preview_of_the_latest_revision(people, photo, settings):
    settings.ROOM_PREVIEW_DEBOUNCE_MS = 1000  # generous: this machine is shared and slow
    comm, _ = await joined(people.curator, photo)
    for i in range(3):
        await send(comm, type="hint.add", request_id=f"r{i}", hint={**RED, "x": 0.2 + i / 10})
    frame = await next_frame(comm, "preview", timeout=60)
    assert frame["room_revision"] == 3 and frame["hints"] == 3
    assert (
        await comm.receive_nothing(timeout=1.0) or (await next_frame(comm, "preview"))["room_revision"] == 3
    )
    await comm.disconnect()


async def test_a_newer_revision_cancels_a_running_preview(people, photo, monkeypatch):
    import asyncio
    import threading

    from colorize.services import preview

    started, release, calls = threading.Event(), threading.Event(), []
    real = preview.compute_preview

    def held_compute(photo_id, revision, cancel=lambda: False):
        calls.append(revision)
        if revision == 1:  # hold revision 1 mid-computation until revision 2 exists
            started.set()
            release.wait(10)
        return real(photo_id, revision, cancel=cancel)

    monkeypatch.setattr(preview, "compute_preview", held_compute)
    comm, _ = await joined(people.curator, photo)
    await send(comm, type="hint.add", request_id="first", hint=RED)
    assert await asyncio.to_thread(started.wait, 10)
    await send(comm, type="hint.add", request_id="second", hint={**RED, "x": 0.1})
    await reply_to(comm, "second")
    while preview._scheduler.latest.get(photo.pk, 0) < 2:  # the room has heard of revision 2
        await asyncio.sleep(0.01)
    release.set()
    frame = await next_frame(comm, "preview", timeout=60)
    assert (
        frame["room_revision"] == 2 and frame["hints"] == 2
    )  # revision 1's preview was cancelled, never sent
    assert calls == [1, 2]
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_suggest_answers_with_top_colours_and_the_gamut(people, photo):
    curator, _ = await joined(people.curator, photo)
    await send(curator, type="suggest", request_id="s1", x=0.25, y=0.5, k=5)
    frame = await next_frame(curator, "suggestion", "error", timeout=60)
    assert frame["type"] == "suggestion", frame
    assert frame["request_id"] == "s1" and len(frame["colors"]) == 5
    probabilities = [c["probability"] for c in frame["colors"]]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1.0001
    assert all(c["color"].startswith("#") and len(c["color"]) == 7 for c in frame["colors"])
    assert 0 <= frame["lightness"] <= 100 and len(frame["gamut"]) > 10
    await curator.disconnect()
    viewer, _ = await joined(people.viewer, photo)
    await send(viewer, type="suggest", request_id="s2", x=0.25, y=0.5)
    assert (await next_frame(viewer, "error", "suggestion"))["code"] == "forbidden"
    await viewer.disconnect()


@pytest.mark.services
async def test_with_redis_previews_run_as_jobs_and_reach_the_room(people, photo, settings):
    settings.ROOM_PREVIEW_BACKEND = "jobs"  # JOB_BACKEND=sync in tests: the job runs at once after commit
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"], "prefix": f"test-rooms-{uuid.uuid4().hex[:8]}"},
        }
    }
    comm, _ = await joined(people.viewer, photo)
    from colorize.services import hints as services

    await database_sync_to_async(services.do_add_hint)(people.curator, photo, RED)
    frame = await next_frame(comm, "preview", timeout=60)
    assert frame["room_revision"] == 1 and "error" not in frame
    decode(frame)
    await comm.disconnect()


def test_a_superseded_preview_job_does_nothing(people, photo, monkeypatch, settings):
    from colorize.services import hints as services
    from colorize.services import preview

    settings.ROOM_PREVIEW_BACKEND = "off"
    sent = []
    monkeypatch.setattr(preview.events, "send_now", lambda photo_id, frame: sent.append(frame))
    services.do_add_hint(people.curator, photo, RED)
    services.do_add_hint(people.curator, photo, {**RED, "x": 0.1})
    sent.clear()
    preview.run_preview_job(photo.pk, 1)
    assert sent == []
    preview.run_preview_job(photo.pk, 2)
    assert [(f["type"], f["room_revision"], f["hints"]) for f in sent] == [("preview", 2, 2)]


async def test_the_room_keeps_flowing_while_a_suggestion_is_computed(people, photo, monkeypatch, settings):
    import threading

    from colorize.services import preview

    # This test is about suggestions: no preview thread racing the disconnect's writes on SQLite's test DB.
    settings.ROOM_PREVIEW_BACKEND = "off"

    release = threading.Event()
    real = preview.suggest_colors

    def slow_suggest(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(preview, "suggest_colors", slow_suggest)
    curator, _ = await joined(people.curator, photo)
    owner, _ = await joined(people.owner, photo)
    await send(curator, type="suggest", request_id="s1", x=0.5, y=0.5, k=3)
    await send(curator, type="suggest", request_id="s2", x=0.5, y=0.5, k=3)
    assert (await reply_to(curator, "s2"))["code"] == "busy"
    await send(owner, type="hint.add", request_id="o1", hint=RED)
    assert (await next_frame(curator, "hint.added", "suggestion"))["type"] == "hint.added"
    release.set()
    answer = await next_frame(curator, "suggestion", timeout=60)
    assert answer["request_id"] == "s1" and len(answer["colors"]) == 3
    # One after the other: on SQLite's shared-cache in-memory test database two leaves written from two threads at
    # once fail with "database table is locked" (no busy wait there), which is not what this test is about.
    await curator.disconnect()
    await owner.disconnect()
