"""platform/worker.sh: a real Celery worker on the real Redis runs a job sent through config.jobs' task,
and answers the docker-compose health check (`celery inspect ping`)."""

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.services, pytest.mark.slow]


def write_marker(path: str, text: str) -> str:
    """The job the worker runs (imported by dotted path in the worker process)."""
    Path(path).write_text(f"{text} from pid {os.getpid()}")
    return "written"


@pytest.fixture
def redis_url():
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: Redis is not running on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    # A database of its own, so the queue is not shared with other tests or engineers' workers.
    return f"redis://127.0.0.1:6379/{random.randint(9, 15)}"


def app_env(tmp_path, redis_url) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "S3_", "JOB_"))}
    environ.update(
        PATH=f"{VENV_BIN}:{environ['PATH']}",
        REDIS_URL=redis_url,
        FINDCOLOR_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="INFO",
    )
    return environ


def test_the_worker_entrypoint_runs_jobs_from_redis_and_answers_the_health_check(tmp_path, redis_url):
    environ = app_env(tmp_path, redis_url)
    log = open(tmp_path / "worker.log", "w+")
    worker = subprocess.Popen(
        [str(ROOT / "platform" / "worker.sh")],
        cwd=tmp_path,  # the script finds the repository itself
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    marker = tmp_path / "marker.txt"
    try:
        send = (
            "import django; django.setup();"
            "from config.tasks import run_job_task;"
            f"run_job_task.delay('tests.test_ops_worker.write_marker', [{str(marker)!r}, 'hello'], {{}})"
        )
        subprocess.run([sys.executable, "-c", send], cwd=ROOT, env=environ, check=True, timeout=60)
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker did not run the job within 120 s"
            time.sleep(0.3)
        assert marker.read_text().startswith("hello from pid ")
        assert marker.read_text() != f"hello from pid {os.getpid()}"  # it ran in the worker

        # The compose health check of the worker service, against this worker's node name.
        ping = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "config", "inspect", "ping", "--timeout", "10"]
            + ["--destination", f"worker@{socket.gethostname()}"],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "pong" in ping.stdout, ping.stdout + ping.stderr
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        log.close()
    output = (tmp_path / "worker.log").read_text()
    assert "findcolor.run_job" in output  # the one task is registered
    assert "succeeded" in output
