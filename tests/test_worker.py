"""Runs on real Celery worker processes with the real Redis and PostgreSQL (marked `services`).

A dedicated PostgreSQL database and a private redis-server (on a free port, append-only file, so it can be
restarted without touching the shared one) are created for this module; daphne serves the API and the photo
room; workers are `celery -A config worker` subprocesses. Each test is bounded (< 90 s).
"""

import json
import time
import uuid

import pytest

from tests.factories import gray_image_bytes
from tests.stack import running_stack

pytestmark = [pytest.mark.services, pytest.mark.slow]

# The test deployment: a colorizer stub with progress steps, short stale and visibility windows, and the beat's
# sweep (colorize/services/sweep.py) at a pace a test can wait for.
SETTINGS = {
    "COLORIZER": "tests.test_run_support.colorizer",
    "RUN_STALE_SECONDS": "4",
    "CELERY_VISIBILITY_TIMEOUT": "8",
    "RESUME_RUNS_ON_START": "0",
    "SWEEP_INTERVAL_SECONDS": "2",
    "SWEEP_QUEUED_AFTER_SECONDS": "3",
    "SWEEP_PENDING_AFTER_SECONDS": "3",
    "OMP_NUM_THREADS": "1",
    "DEBUG": "1",
}

SETUP = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from accounts.models import Role
from archive.models import Collection
from tests.factories import add_member
from tests.test_run_support import make_photo

sizes = json.loads(sys.argv[1])
User = get_user_model()
owner = User.objects.create(username=f"owner-{sys.argv[2]}")
curator = User.objects.create(username=f"curator-{sys.argv[2]}")
collection = Collection.objects.create(title=f"worker test {sys.argv[2]}", owner=owner)
add_member(collection, curator, Role.CURATOR)
photos = [make_photo(collection, curator, w, h, seed=i).pk for i, (w, h) in enumerate(sizes)]
token, _ = Token.objects.get_or_create(user=curator)
print(json.dumps({"collection": collection.pk, "photos": photos, "token": token.key}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("worker-stack"), "fc_worker", **SETTINGS) as s:
        yield s


@pytest.fixture
def fresh(stack):
    """Workers started by a test are stopped after it."""
    yield stack
    stack.stop_workers()


def _setup(stack, sizes) -> dict:
    return stack.django(SETUP, json.dumps(sizes), uuid.uuid4().hex[:8])


def test_a_run_on_a_celery_worker_completes_and_its_progress_reaches_a_websocket_client(fresh):
    import asyncio

    import websockets

    stack = fresh
    world = _setup(stack, [(96, 72)])
    photo = world["photos"][0]
    stack.start_worker("w1")

    async def scenario():
        url = f"ws://127.0.0.1:{stack.web_port}/ws/photos/{photo}/"
        headers = {"Authorization": f"Token {world['token']}", "Origin": f"http://127.0.0.1:{stack.web_port}"}
        async with websockets.connect(url, additional_headers=headers, open_timeout=20) as ws:
            events = []
            run = await asyncio.to_thread(stack.api, "POST", f"/api/photos/{photo}/runs/", world["token"], {})
            deadline = time.monotonic() + 75
            while time.monotonic() < deadline:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic()))
                events.append(frame)
                if frame.get("type") in ("run.done", "run.failed"):
                    # version.created follows run.done in the same commit
                    try:
                        while True:
                            events.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=2)))
                    except TimeoutError:
                        pass
                    return run, events
            raise TimeoutError(f"no run.done; got {[e.get('type') for e in events]}")

    run, events = asyncio.run(scenario())
    kinds = [e.get("type") for e in events]
    assert "run.started" in kinds and "run.progress" in kinds and "run.done" in kinds, kinds
    assert "version.created" in kinds
    progress = [
        e["run"]["progress"]
        for e in events
        if e.get("type") == "run.progress" and e["run"]["id"] == run["id"]
    ]
    assert progress and progress == sorted(progress)
    state = stack.runs([run["id"]])[run["id"]]
    assert state["status"] == "done" and state["progress"] == 100
    assert stack.versions_per_run([run["id"]]) == {run["id"]: 1}
    detail = stack.api("GET", f"/api/runs/{run['id']}/", world["token"])
    assert detail["status"] == "done" and detail["version"]


def test_kill_9_of_the_worker_mid_run_is_retried_by_a_new_worker_with_exactly_one_version(fresh):
    stack = fresh
    world = _setup(stack, [(2400, 1800)])
    first = stack.start_worker("doomed")
    run = stack.api("POST", f"/api/photos/{world['photos'][0]}/runs/", world["token"], {})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # mid-run: the model has reported progress, the version is not there
        state = stack.runs([run["id"]])[run["id"]]
        if state["status"] == "running" and 0 < state["progress"] < 100:
            break
        assert state["status"] in ("queued", "running"), state
        time.sleep(0.05)
    else:
        raise AssertionError(f"the run never reported progress: {stack.logs()}")
    stack.kill9(first)
    assert stack.runs([run["id"]])[run["id"]]["status"] == "running"  # orphaned, nobody finished it
    stack.start_worker("rescuer")
    stack.start_beat()  # its stale-run sweep takes the orphan back once the heartbeat is stale
    state = stack.wait_runs([run["id"]], timeout=80)[run["id"]]
    assert state["attempts"] == 2 and state["progress"] == 100
    assert stack.versions_per_run([run["id"]]) == {run["id"]: 1}
    # and a late duplicate delivery changes nothing
    stack.django(
        "from colorize.services.runs.execute import execute_run\nprint(json.dumps(execute_run(int(sys.argv[1]))))",
        str(run["id"]),
    )
    assert stack.versions_per_run([run["id"]]) == {run["id"]: 1}


def _until(condition, what: str, timeout: float = 60.0):
    """Wait for `condition()` to hold (a bound for a loaded CI machine, not a measurement)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.2)


def test_restarting_redis_mid_batch_loses_no_run(fresh, tmp_path):
    stack = fresh
    world = _setup(stack, [(160, 120)] * 6)
    gate = tmp_path / "gate"  # the runs are held at it until the restart is over: mid-batch by construction
    stack.start_worker("w1", COLORIZER="tests.test_run_support.gated_colorizer", RUN_GATE=str(gate))
    batch = stack.api(
        "POST", f"/api/collections/{world['collection']}/runs/", world["token"], {"hints": "all"}
    )
    ids = batch["runs"]
    assert len(ids) == 6
    _until(lambda: any(s["status"] == "running" for s in stack.runs(ids).values()), "no run started")
    assert not any(s["status"] == "done" for s in stack.runs(ids).values())
    stack.stop_redis()  # broker and channel layer gone, mid-batch
    log = stack.tmp / "worker-w1.log"
    _until(
        lambda: any(
            m in log.read_text(errors="replace") for m in ("Connection to broker lost", "Cannot connect")
        ),
        f"the worker never noticed the outage: {stack.logs()}",
    )
    stack.start_redis()  # same port, same append-only file
    gate.touch()
    state = stack.wait_runs(ids, timeout=150)  # a bound for a loaded CI machine; ~15 s here when idle
    assert all(s["status"] == "done" for s in state.values())
    assert stack.versions_per_run(ids) == {i: 1 for i in ids}


CLAIM_RACE = """
import threading
import time
from django.db import connection, transaction
from archive.models import Photo
from colorize.models import Run
from colorize.services.runs.execute import _claim

photo = Photo.objects.get(pk=int(sys.argv[1]))
run = Run.objects.create(photo=photo)  # queued, never enqueued
first_claimed, release, out = threading.Event(), threading.Event(), {}


def first():
    with transaction.atomic():  # holds the row lock until release
        out["first"] = _claim(run.pk, "first")[0] is not None
        first_claimed.set()
        release.wait(20)
    connection.close()


def second():
    first_claimed.wait(20)
    out["second"] = _claim(run.pk, "second")[0] is not None  # waits for the lock, then re-checks the row
    connection.close()


threads = [threading.Thread(target=first), threading.Thread(target=second)]
for t in threads:
    t.start()
with connection.cursor() as cursor:  # wait until the second delivery is blocked on the first one's row lock
    while True:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if cursor.fetchone()[0]:
            break
        time.sleep(0.01)
release.set()
for t in threads:
    t.join()
run.refresh_from_db()
out["attempts"], out["claim"] = run.attempts, run.job_id
Run.objects.filter(pk=run.pk).update(status="cancelled")  # leave nothing for recovery
print(json.dumps(out))
"""


def test_a_delivery_racing_a_claim_on_postgresql_loses_once_the_first_commits(stack):
    """Two deliveries of one job at the same moment: the second one's UPDATE waits for the first one's row
    lock and then re-checks every condition on the new row version, so exactly one claims the run."""
    world = _setup(stack, [(32, 24)])
    out = stack.django(CLAIM_RACE, str(world["photos"][0]))
    assert out == {"first": True, "second": False, "attempts": 1, "claim": "first"}


def test_a_curator_who_uploads_and_asks_for_a_run_while_redis_is_down_loses_neither(fresh):
    """Redis down: the upload and the run request still answer 201 / 202 (stored, not enqueued). Once Redis is
    back, the beat's sweep enqueues both and a worker finishes them: nothing stays queued or pending."""
    stack = fresh
    world = _setup(stack, [(96, 72)])
    photo = world["photos"][0]
    stack.stop_redis()
    try:
        uploaded = stack.upload(
            world["collection"], world["token"], gray_image_bytes(120, 90, seed=41), "부산항_1951.png"
        )
        run = stack.api("POST", f"/api/photos/{photo}/runs/", world["token"], {})
    finally:
        stack.start_redis()  # same port, same (empty) append-only file: the messages were never sent
    assert uploaded.status_code == 201, uploaded.text
    new_photo = uploaded.json()["id"]
    assert stack.derivatives(new_photo) == "pending"
    assert stack.runs([run["id"]])[run["id"]]["status"] == "queued"
    stack.start_worker("w1")
    stack.start_beat()
    assert stack.wait_derivatives(new_photo) == "ready"
    state = stack.wait_runs([run["id"]], timeout=90)[run["id"]]
    assert state["progress"] == 100
    assert stack.versions_per_run([run["id"]]) == {run["id"]: 1}


def test_a_worker_killed_while_making_an_uploads_derivatives_leaves_no_photo_pending(fresh):
    """kill -9 of the worker while it renders a 27 MP upload's derivatives: the message stays unacknowledged in
    Redis (the rescuer's visibility timeout is an hour, so Redis alone would not redeliver it for an hour); the
    beat's sweep enqueues the job again and the photo's derivatives are made."""
    stack = fresh
    world = _setup(stack, [(32, 24)])
    doomed = stack.start_worker("doomed")
    uploaded = stack.upload(
        world["collection"], world["token"], gray_image_bytes(6000, 4500, fmt="JPEG", seed=42), "scan.jpg"
    )
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()["id"]
    deadline = time.monotonic() + 60
    while stack.unacked() == 0:  # the worker has taken the job and not finished it
        assert stack.derivatives(photo) == "pending", (
            "the derivatives were made before the worker took the job"
        )
        assert time.monotonic() < deadline, f"no worker took the job\n{stack.logs()}"
        time.sleep(0.02)
    stack.kill9(doomed)
    assert stack.derivatives(photo) == "pending"  # killed mid-render: nobody will finish it by itself
    assert stack.unacked() == 1
    stack.start_worker("rescuer", CELERY_VISIBILITY_TIMEOUT="3600")
    stack.start_beat()
    assert stack.wait_derivatives(photo, timeout=120) == "ready"
    sizes = stack.sql("SELECT thumbnail, web, gray FROM archive_photo WHERE id = %s", photo)[0]
    assert all(sizes), sizes
