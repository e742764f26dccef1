"""The embedded mode (no Redis, no Celery): queued runs survive a restart of the server."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parent.parent


def _embedded_env(tmp_path, **extra) -> dict:
    """The environment of a `make run`-like process: no PostgreSQL, Redis or broker, files under tmp_path."""
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "JOB_BACKEND")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        "FINDCOLOR_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "COLORIZER": "tests.test_run_support.colorizer",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )


def _python(env: dict, script: str, *args) -> str:
    """Run `script` in a fresh interpreter with `env`; returns its stdout (the test fails on a non-zero exit)."""
    out = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


PERIODIC_STARTED = """
import threading
import django

django.setup()
from django.core.management import call_command

from config.periodic import THREAD_NAME

call_command("check", verbosity=0)
before = any(t.name == THREAD_NAME for t in threading.enumerate())
import config.asgi  # what daphne (and runserver's serving process) loads

after = any(t.name == THREAD_NAME for t in threading.enumerate())
print(before, after)
"""


@pytest.mark.parametrize("extra, expected", [({}, "False True"), ({"JOB_BACKEND": "sync"}, "False False")])
def test_only_a_serving_process_of_the_embedded_mode_starts_the_periodic_jobs(tmp_path, extra, expected):
    """Management commands never start the timer; loading the ASGI application does, in the embedded mode."""
    env = _embedded_env(tmp_path, RESUME_RUNS_ON_START="0", **extra)
    (tmp_path / "var").mkdir()
    _migrate(env)
    assert _python(env, PERIODIC_STARTED).split("\n")[-2] == expected


CREATE = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from archive.models import Collection
from colorize.models import Run
from tests.test_run_support import make_photo

user = get_user_model().objects.create(username="owner")
collection = Collection.objects.create(title="embedded", owner=user)
first = make_photo(collection, user, 64, 48, seed=1)
second = make_photo(collection, user, 64, 48, seed=2)
# What a crash leaves behind: a queued run whose job was never picked up, and a run that was mid-way.
queued = Run.objects.create(photo=first, requested_by=user)
orphan = Run.objects.create(
    photo=second, requested_by=user, status="running", claim="dead", attempts=1,
    started_at=timezone.now() - timedelta(minutes=5), heartbeat_at=timezone.now() - timedelta(minutes=5),
)
print(json.dumps([queued.pk, orphan.pk]))
"""

STATUS = """
from colorize.models import Run, Version
ids = json.loads(sys.argv[1])
print(json.dumps({str(r.pk): [r.status, Version.objects.filter(run=r).count()] for r in Run.objects.filter(pk__in=ids)}))
"""


@pytest.mark.slow
def test_queued_and_orphaned_runs_resume_when_the_embedded_server_starts(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _embedded_env(tmp_path, RUN_STALE_SECONDS="2")
    (tmp_path / "var").mkdir()

    def django(code, *args):
        script = "import django, json, sys\ndjango.setup()\n" + code
        return json.loads(_python(env, script, *args).strip().splitlines()[-1])

    _migrate(env)
    ids = django(CREATE)
    log = open(tmp_path / "daphne.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 75
        state = {}
        while time.monotonic() < deadline:
            state = django(STATUS, json.dumps(ids))
            if all(status == "done" for status, _ in state.values()):
                break
            time.sleep(1)
        assert state == {str(ids[0]): ["done", 1], str(ids[1]): ["done", 1]}, (
            tmp_path / "daphne.log"
        ).read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)


PHOTOS = """
from django.contrib.auth import get_user_model
from archive.models import Collection
from tests.test_run_support import make_photo

user = get_user_model().objects.create(username="owner")
collection = Collection.objects.create(title="embedded batch", owner=user)
for seed in range(3):
    make_photo(collection, user, 80, 60, seed=seed)
print(json.dumps(collection.pk))
"""


@pytest.mark.slow
def test_the_colorize_collection_command_runs_the_batch_itself_in_the_embedded_mode(tmp_path):
    env = _embedded_env(tmp_path, JOB_WORKERS="2")
    (tmp_path / "var").mkdir()
    _migrate(env)
    collection = _python(env, "import django, json, sys\ndjango.setup()\n" + PHOTOS).strip().splitlines()[-1]

    def colorize_collection():
        return subprocess.run(
            [sys.executable, "manage.py", "colorize_collection", collection, "--only-unrestored"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = colorize_collection()
    assert out.returncode == 0, out.stderr[-3000:]
    assert "3 run(s) queued" in out.stdout and "3 done" in out.stdout
    assert "3/3" in out.stderr  # the progress bar reached the end
    again = colorize_collection()
    assert "0 run(s) queued" in again.stdout  # the photos are no longer unrestored
