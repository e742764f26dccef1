"""The photo room over WebSocketCommunicator, on the in-memory channel layer and on the real Redis: joining,
presence, writes and their broadcasts, resume, pages, events from jobs. Bad frames, rate limits, floods and the
Origin check: tests/test_room_consumer_limits.py."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from colorize.models.hints import Hint, HintEvent, RoomPresence
from colorize.services import events
from colorize.services import hints as services
from config.routing import websocket_urlpatterns
from tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True)

APP = URLRouter(websocket_urlpatterns)
RED = {"x": 0.42, "y": 0.31, "color": "#b22222", "radius": 0.01}
NOISE = {"presence", "cursor", "preview"}


@pytest.fixture(autouse=True)
def _room_settings(no_previews, short_lived_connections):
    """Every room test: no preview renders, connections closed after each ORM call."""


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.services),
        pytest.param("redis-pubsub", marks=pytest.mark.services),
    ]
)
def layer(request, settings):
    """Run the test on the in-memory layer and on channels-redis at 127.0.0.1:6379 (own prefix)."""
    if request.param.startswith("redis"):
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
                if request.param == "redis-pubsub"
                else "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": "redis://127.0.0.1:6379/0", "socket_timeout": 30}],
                    "prefix": f"test-rooms-{uuid.uuid4().hex[:8]}",
                },
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return request.param


@pytest.fixture
def photo(people):
    return make_photo(people.collection)


async def join(user, photo, since=None, app=APP):
    path = f"/ws/photos/{photo.pk if hasattr(photo, 'pk') else photo}/"
    if since is not None:
        path += f"?since={since}"
    comm = WebsocketCommunicator(app, path)
    comm.scope["user"] = user
    connected, code = await comm.connect(timeout=5)
    assert connected, code
    return comm


async def joined(user, photo, since=None):
    """Connect and return (communicator, snapshot)."""
    comm = await join(user, photo, since)
    snapshot = await comm.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    return comm, snapshot


async def next_frame(comm, *types, timeout=3):
    """The next frame of one of `types` (skipping others); no types: the next one that is not noise."""
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] in types or (not types and frame["type"] not in NOISE):
            return frame


async def drain(comm, quiet=0.3) -> list[dict]:
    """Every frame that arrives until the socket has been quiet for `quiet` seconds."""
    frames = []
    while not await comm.receive_nothing(timeout=quiet):
        frames.append(await comm.receive_json_from())
    return frames


async def reply_to(comm, request_id, timeout=3):
    """The ack or error frame answering `request_id`."""
    while True:
        frame = await next_frame(comm, "ack", "error", timeout=timeout)
        if frame["request_id"] == request_id:
            return frame


async def send(comm, **frame):
    await comm.send_json_to(frame)


async def close_all(*comms):
    for comm in comms:
        await comm.disconnect()


async def assert_closed_with(user, photo_id, code):
    comm = WebsocketCommunicator(APP, f"/ws/photos/{photo_id}/")
    comm.scope["user"] = user
    connected, _ = await comm.connect(timeout=5)
    output = await comm.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": code}
    await comm.disconnect()


count_hints = database_sync_to_async(lambda: Hint.objects.count())


# ------------------------------------------------------------------------------------------ joining


async def test_the_first_frame_is_a_snapshot_of_hints_people_and_revision(people, photo, layer):
    await database_sync_to_async(services.do_add_hint)(people.curator, photo, RED)
    comm, snapshot = await joined(people.viewer, photo)
    assert snapshot["room_revision"] == 1 and snapshot["photo"] == photo.pk
    assert [(h["color"], h["revision"]) for h in snapshot["hints"]] == [("#b22222", 1)]
    assert snapshot["you"]["username"] == "viewer" and snapshot["you"]["role"] == "viewer"
    assert [p["username"] for p in snapshot["people"]] == ["viewer"]
    await close_all(comm)


async def test_it_refuses_outsiders_and_anonymous_with_4403(people, photo, layer):
    from django.contrib.auth.models import AnonymousUser

    await assert_closed_with(people.outsider, photo.pk, 4403)
    await assert_closed_with(AnonymousUser(), photo.pk, 4403)
    assert not await database_sync_to_async(RoomPresence.objects.exists)()


async def test_it_closes_unknown_photos_with_4404(people, photo, layer):
    await assert_closed_with(people.owner, photo.pk + 1000, 4404)


async def test_presence_announces_joins_and_leaves(people, photo, layer):
    a, _ = await joined(people.curator, photo)
    assert (await next_frame(a, "presence"))["user"]["username"] == "curator"
    b, snapshot = await joined(people.reviewer, photo)
    assert {p["username"] for p in snapshot["people"]} == {"curator", "reviewer"}
    join = await next_frame(a, "presence")
    assert (join["action"], join["user"]["username"], join["user"]["role"]) == (
        "join",
        "reviewer",
        "reviewer",
    )
    await b.disconnect()
    leave = await next_frame(a, "presence")
    assert (leave["action"], leave["user"]["username"]) == ("leave", "reviewer")
    assert [p["username"] for p in leave["people"]] == ["curator"]
    await close_all(a)


async def test_heartbeats_prune_dead_connections(people, photo, layer, settings):
    settings.ROOM_HEARTBEAT_SECONDS = 0.1
    settings.ROOM_PRESENCE_TTL_SECONDS = 30
    await database_sync_to_async(RoomPresence.objects.create)(
        photo=photo,
        user=people.reviewer,
        role=30,
        channel_name="dead.channel!gone",
        connection="ghost",
        last_seen=timezone.now() - timedelta(minutes=5),
    )
    comm, snapshot = await joined(people.curator, photo)
    assert {p["username"] for p in snapshot["people"]} == {"curator"}  # a row past its TTL is nobody
    while True:
        frame = await next_frame(comm, "presence", timeout=3)
        if frame["action"] == "leave":
            break
    assert (frame["connection"], frame["user"]["username"]) == ("ghost", "reviewer")
    assert [p["username"] for p in frame["people"]] == ["curator"]
    await close_all(comm)


async def test_a_member_removed_from_the_collection_is_closed_out(people, photo, layer, settings):
    from accounts.models import Membership

    settings.ROOM_HEARTBEAT_SECONDS = 0.1
    comm, _ = await joined(people.viewer, photo)
    await database_sync_to_async(Membership.objects.filter(user=people.viewer).delete)()
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4403
    await comm.disconnect()


async def test_a_live_connection_pruned_by_mistake_comes_back(people, photo, layer, settings):
    settings.ROOM_HEARTBEAT_SECONDS = 0.1
    comm, snapshot = await joined(people.curator, photo)
    assert (await next_frame(comm, "presence"))["action"] == "join"  # our own arrival
    await database_sync_to_async(RoomPresence.objects.all().delete)()  # as if a peer had pruned us
    while True:
        frame = await next_frame(comm, "presence")
        if frame["action"] == "join" and frame["connection"] == snapshot["you"]["connection"]:
            break
    assert [p["username"] for p in frame["people"]] == ["curator"]
    assert await database_sync_to_async(RoomPresence.objects.count)() == 1
    await close_all(comm)


# ------------------------------------------------------------------------------------------- writes


async def test_a_hint_added_by_one_curator_reaches_everyone(people, photo, layer):
    curator, _ = await joined(people.curator, photo)
    viewer, _ = await joined(people.viewer, photo)
    await send(curator, type="hint.add", request_id="c1-17", hint=RED)
    ack = await next_frame(curator, "ack")
    assert ack["request_id"] == "c1-17" and ack["room_revision"] == 1 and not ack["duplicate"]
    for comm in (curator, viewer):
        added = await next_frame(comm, "hint.added")
        assert added["hint"]["id"] == ack["hint"]["id"] and added["hint"]["revision"] == 1
        assert added["by"]["username"] == "curator" and added["request_id"] == "c1-17"
        assert added["room_revision"] == 1
    await close_all(curator, viewer)


async def test_update_verify_delete_and_undo_frames_reach_the_room(people, photo, layer):
    curator, _ = await joined(people.curator, photo)
    reviewer, _ = await joined(people.reviewer, photo)
    await send(curator, type="hint.add", request_id="a", hint=RED)
    hint_id = (await next_frame(curator, "ack"))["hint"]["id"]
    await next_frame(curator, "hint.added")
    await next_frame(reviewer, "hint.added")

    await send(
        curator,
        type="hint.update",
        request_id="u",
        id=hint_id,
        revision=1,
        hint={"x": 0.5, "color": "#224488"},
    )
    assert (await next_frame(curator, "ack"))["hint"]["revision"] == 2
    await next_frame(curator, "hint.updated")
    updated = await next_frame(reviewer, "hint.updated")
    assert (updated["hint"]["x"], updated["hint"]["color"], updated["action"]) == (0.5, "#224488", "update")

    await send(
        reviewer,
        type="hint.verify",
        request_id="v",
        id=hint_id,
        revision=2,
        hint={"evidence_source": "Colour chart, museum inv. 88"},
    )
    assert (await next_frame(reviewer, "ack"))["hint"]["status"] == "verified"
    await next_frame(reviewer, "hint.updated")
    verified = await next_frame(curator, "hint.updated")
    assert (verified["action"], verified["hint"]["verified_by"]) == ("verify", "reviewer")

    await send(reviewer, type="hint.undo", request_id="z")
    assert (await next_frame(reviewer, "ack"))["action"] == "undo"
    await next_frame(reviewer, "hint.updated")
    undone = await next_frame(curator, "hint.updated")
    assert undone["hint"]["status"] == "suggested" and undone["undo_of"] == 3

    await send(curator, type="hint.delete", request_id="d", id=hint_id, revision=4)
    await next_frame(curator, "ack")
    deleted = await next_frame(reviewer, "hint.deleted")
    assert deleted["hint"]["id"] == hint_id and deleted["hint"]["deleted"]
    assert await database_sync_to_async(lambda: HintEvent.objects.count())() == 5
    await close_all(curator, reviewer)


async def test_viewers_watch_but_cannot_write(people, photo, layer):
    viewer, _ = await joined(people.viewer, photo)
    await send(viewer, type="hint.add", request_id="v1", hint=RED)
    error = await next_frame(viewer, "error")
    assert (error["code"], error["request_id"]) == ("forbidden", "v1")
    assert await count_hints() == 0
    await send(viewer, type="ping", request_id="p")
    assert (await next_frame(viewer, "pong"))["request_id"] == "p"  # still connected
    await close_all(viewer)


async def test_curators_cannot_verify_and_verifying_needs_evidence(people, photo, layer):
    hint = (await database_sync_to_async(services.do_add_hint)(people.curator, photo, RED)).hint
    curator, _ = await joined(people.curator, photo)
    owner, _ = await joined(people.owner, photo)
    await send(
        curator, type="hint.verify", request_id="v1", id=hint["id"], revision=1, hint={"evidence_note": "x"}
    )
    assert (await next_frame(curator, "error"))["code"] == "forbidden"
    await send(owner, type="hint.verify", request_id="v2", id=hint["id"], revision=1)
    assert (await next_frame(owner, "error"))["code"] == "evidence_required"
    await send(
        owner, type="hint.verify", request_id="v3", id=hint["id"], revision=1, hint={"evidence_note": "x"}
    )
    assert (await next_frame(owner, "ack"))["hint"]["status"] == "verified"
    await close_all(curator, owner)


async def test_a_stale_write_is_rejected_with_the_current_hint(people, photo, layer):
    a, _ = await joined(people.curator, photo)
    b, _ = await joined(people.owner, photo)
    await send(a, type="hint.add", request_id="a1", hint=RED)
    hint_id = (await next_frame(a, "ack"))["hint"]["id"]
    await send(b, type="hint.update", request_id="b1", id=hint_id, revision=1, hint={"color": "#00aa00"})
    await next_frame(b, "ack")
    await send(a, type="hint.update", request_id="a2", id=hint_id, revision=1, hint={"color": "#aa0000"})
    error = await next_frame(a, "error")
    assert (error["code"], error["request_id"]) == ("stale", "a2")
    assert error["hint"]["revision"] == 2 and error["hint"]["color"] == "#00aa00"
    hint = await database_sync_to_async(Hint.objects.get)(pk=hint_id)
    assert hint.color == "#00aa00"
    await close_all(a, b)


async def test_a_retried_request_id_is_applied_once(people, photo, layer):
    a, _ = await joined(people.curator, photo)
    watcher, _ = await joined(people.viewer, photo)
    await send(a, type="hint.add", request_id="same", hint=RED)
    first = await next_frame(a, "ack")
    await send(a, type="hint.add", request_id="same", hint=RED)
    second = await next_frame(a, "ack")
    assert second["duplicate"] and second["hint"]["id"] == first["hint"]["id"]
    assert second["room_revision"] == first["room_revision"] == 1
    assert await count_hints() == 1
    assert (await next_frame(watcher, "hint.added"))["room_revision"] == 1
    await send(watcher, type="ping")
    assert (await next_frame(watcher))["type"] == "pong"  # no second hint.added was broadcast
    await close_all(a, watcher)


async def test_a_client_resumes_from_the_last_revision_it_saw(people, photo, layer):
    a, _ = await joined(people.curator, photo)
    b, _ = await joined(people.reviewer, photo)
    await send(a, type="hint.add", request_id="1", hint=RED)
    first = (await next_frame(b, "hint.added"))["hint"]["id"]
    await b.disconnect()  # b saw revision 1, then dropped
    await send(a, type="hint.add", request_id="2", hint={**RED, "x": 0.1})
    assert (await reply_to(a, "2"))["type"] == "ack"
    await send(a, type="hint.update", request_id="3", id=first, revision=1, hint={"y": 0.9})
    assert (await reply_to(a, "3"))["type"] == "ack"
    b, snapshot = await joined(people.reviewer, photo, since=1)
    assert snapshot["room_revision"] == 3 and snapshot["since"] == 1 and snapshot["events_complete"]
    assert [(e["type"], e["room_revision"]) for e in snapshot["events"]] == [
        ("hint.added", 2),
        ("hint.updated", 3),
    ]
    assert len(snapshot["hints"]) == 2
    # and then the live stream continues with the next revision only
    await send(a, type="hint.delete", request_id="4", id=first, revision=2)
    assert (await next_frame(b, "hint.deleted"))["room_revision"] == 4
    await close_all(a, b)


async def test_rest_writes_and_socket_writes_broadcast_the_same_events(people, photo, layer, client_for):
    watcher, _ = await joined(people.viewer, photo)
    client = await sync_to_async(client_for)(people.curator)
    response = await sync_to_async(client.post)(
        f"/api/photos/{photo.pk}/hints/", RED, content_type="application/json", HTTP_IDEMPOTENCY_KEY="rest-1"
    )
    assert response.status_code == 201, response.content
    added = await next_frame(watcher, "hint.added")
    assert added["hint"] == response.json()["hint"] and added["request_id"] == "rest-1"
    await close_all(watcher)


async def test_run_events_are_forwarded_verbatim(people, photo, layer):
    comm, _ = await joined(people.viewer, photo)
    event = {"type": "run.progress", "run": 7, "progress": 0.5, "stage": "model"}
    await sync_to_async(events.send_now)(photo.pk, event)
    assert await next_frame(comm, "run.progress") == event
    await close_all(comm)


# ---------------------------------------------------------------------------------- pages and jobs


async def test_a_big_room_gets_its_hints_in_pages_and_resume_says_when_events_were_cut(
    people, photo, monkeypatch
):
    from colorize.services import rooms

    monkeypatch.setattr(rooms, "SNAPSHOT_PAGE_BYTES", 2500)  # about 3 hints a page
    for i in range(7):
        await database_sync_to_async(services.do_add_hint)(people.curator, photo, {**RED, "x": i / 10})
    comm = await join(people.viewer, photo, since=0)
    snapshot = await comm.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot" and not snapshot["hints_complete"]
    assert 0 < len(snapshot["events"]) < 7 and snapshot["events_complete"] is False
    ids = [h["id"] for h in snapshot["hints"]]
    while True:
        page = await comm.receive_json_from(timeout=5)
        assert page["type"] == "snapshot.hints"
        ids += [h["id"] for h in page["hints"]]
        if page["last"]:
            break
    assert len(ids) == len(set(ids)) == 7 and ids == sorted(ids)
    await comm.disconnect()


async def test_events_sent_from_a_job_thread_arrive_at_once(people, photo, layer, settings):
    """A job thread (not awaited by the room loop) sends a run event: it must not wait for the loop to wake
    (nothing else wakes it here: the heartbeat is an hour away)."""
    import threading

    settings.ROOM_HEARTBEAT_SECONDS = 3600
    comm, _ = await joined(people.viewer, photo)
    await drain(comm)
    event = {"type": "run.progress", "run": 8, "progress": 0.25, "stage": "model"}
    sender = threading.Thread(target=events.send_now, args=(photo.pk, event))
    sender.start()
    assert await next_frame(comm, "run.progress") == event
    await asyncio.to_thread(sender.join)
    await close_all(comm)


async def test_a_curator_writing_to_a_photo_deleted_mid_session_is_told_not_found(people, photo, layer):
    """The owner deletes the photo while a curator's room is open: the curator's next writes are answered
    `not_found` (before, the add failed inside the row lock with `internal: DoesNotExist`)."""
    from archive.models import Photo

    comm, _ = await joined(people.curator, photo)
    await send(comm, type="hint.add", request_id="before", hint=RED)
    hint = (await reply_to(comm, "before"))["hint"]
    await database_sync_to_async(Photo.objects.filter(pk=photo.pk).delete)()
    await send(comm, type="hint.add", request_id="add-after", hint=RED)
    await send(
        comm,
        type="hint.update",
        request_id="update-after",
        id=hint["id"],
        revision=hint["revision"],
        hint=RED,
    )
    await send(comm, type="hint.undo", request_id="undo-after")
    for request_id in ("add-after", "update-after", "undo-after"):
        error = await reply_to(comm, request_id)
        assert (error["type"], error["code"]) == ("error", "not_found"), error
    await close_all(comm)
