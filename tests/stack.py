"""The processes of one production-like deployment, started for a test or a bench and stopped after it.

A private redis-server on a free port (append-only file, so it can be stopped and started again without
touching the shared one on 6379), a throwaway PostgreSQL database (127.0.0.1:5432, user postgres), daphne and
`celery -A config worker` / `beat` subprocesses sharing them. Used by tests/test_worker.py and
bench/batch_throughput.py.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host, port) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_port(port, timeout=30.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reachable("127.0.0.1", port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


@contextlib.contextmanager
def running_stack(tmp: Path, prefix: str, **env):
    """A Stack with its private Redis, a throw-away PostgreSQL database and the web server up, torn down after
    (the module fixtures of the worker and real-daphne room tests); the test is skipped when PostgreSQL at
    127.0.0.1:5432 or redis-server is not here."""
    import pytest

    if not (reachable("127.0.0.1", 5432) and shutil.which("redis-server")):
        pytest.skip("needs PostgreSQL at 127.0.0.1:5432 and redis-server")
    pytest.importorskip("psycopg2")
    stack = Stack(tmp, prefix=prefix, **env)
    stack.start_redis()
    try:
        stack.create_db()
        stack.start_web()
        yield stack
    finally:
        stack.stop()
        stack.drop_db()


class Stack:
    """The processes of one deployment: redis, daphne, celery workers, all sharing one PostgreSQL database."""

    def __init__(self, tmp: Path, prefix: str = "fc_stack", **env):
        """`env`: settings for every process of this deployment (e.g. COLORIZER, RUN_STALE_SECONDS)."""
        self.tmp = tmp
        self.db = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.redis_port = free_port()
        self.web_port = free_port()
        self.redis_dir = tmp / "redis"
        self.redis_dir.mkdir()
        self.redis = None
        self.web = None
        self.workers: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.db}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "JOB_BACKEND": "celery",
            "MEDIA_ROOT": str(tmp / "media"),
            "FINDCOLOR_VAR_DIR": str(tmp / "var"),
            "LOG_LEVEL": "WARNING",
            **env,
        }

    # -- processes
    def start_redis(self):
        self.redis = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.redis_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.redis_port, 30, self.redis)

    def stop_redis(self):
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(30)

    def start_web(self):
        log = open(self.tmp / "daphne.log", "ab")  # noqa: SIM115
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.web_port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_port(self.web_port, 60, self.web)

    def start_worker(self, name: str, **env) -> subprocess.Popen:
        """A worker on the queue; `env` overrides its settings (e.g. CELERY_VISIBILITY_TIMEOUT)."""
        log = open(self.tmp / f"worker-{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "findcolor",
                "-c",
                "1",
                "-n",
                f"{name}@%h",
                "-l",
                "info",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the pool children too
        )
        self.workers.append(proc)
        return proc

    def start_beat(self) -> subprocess.Popen:
        """Celery beat, as the docker-compose `beat` service runs it: it sends settings.PERIODIC_JOBS."""
        log = open(self.tmp / "beat.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
            + ["--schedule", str(self.tmp / "celerybeat-schedule")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        return proc

    def kill9(self, proc: subprocess.Popen):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_workers(self, timeout: float = 20):
        """SIGTERM every worker and beat started so far (their whole process group), SIGKILL after `timeout`."""
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.workers.clear()

    def stop(self):
        self.stop_workers(15)
        if self.web is not None and self.web.poll() is None:
            self.web.terminate()
            try:
                self.web.wait(15)
            except subprocess.TimeoutExpired:
                self.web.kill()
        self.stop_redis()

    # -- database
    def sql(self, query, *args, dbname=None):
        import psycopg2

        conn = psycopg2.connect(dbname=dbname or self.db, **PG)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def create_db(self):
        self.sql(f'CREATE DATABASE "{self.db}"', dbname="postgres")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True, timeout=180
        )

    def drop_db(self):
        self.sql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)', dbname="postgres")

    def django(self, code: str, *args, timeout: float = 120) -> dict:
        """Run Django code in a separate process against the shared database; it prints one JSON line."""
        script = "import django, json, sys\ndjango.setup()\n" + code
        out = subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    # -- API
    def api(self, method: str, path: str, token: str, body=None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            method=method,
            data=json.dumps(body or {}).encode() if method != "GET" else None,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def upload(self, collection: int, token: str, data: bytes, name: str):
        """POST one photo file to the collection, as the web page does; returns the response."""
        import requests

        return requests.post(
            f"http://127.0.0.1:{self.web_port}/api/collections/{collection}/photos/",
            headers={"Authorization": f"Token {token}"},
            files={"file": (name, data)},
            timeout=120,
        )

    def derivatives(self, photo: int) -> str:
        return self.sql("SELECT derivatives_status FROM archive_photo WHERE id = %s", photo)[0][0]

    def wait_derivatives(self, photo: int, timeout=90.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.derivatives(photo)
            if status != "pending":
                return status
            time.sleep(0.25)
        raise TimeoutError(f"photo {photo} still pending after {timeout}s\n{self.logs()}")

    def unacked(self) -> int:
        """Messages a worker has taken from the queue and not acknowledged (acks_late: still working on)."""
        import redis

        return redis.Redis(port=self.redis_port).hlen("unacked")

    def runs(self, ids) -> dict:
        rows = self.sql(
            "SELECT id, status, progress, attempts FROM colorize_run WHERE id = ANY(%s)", list(ids)
        )
        return {r[0]: {"status": r[1], "progress": r[2], "attempts": r[3]} for r in rows}

    def versions_per_run(self, ids) -> dict:
        rows = self.sql(
            "SELECT run_id, count(*) FROM colorize_version WHERE run_id = ANY(%s) GROUP BY run_id", list(ids)
        )
        return dict(rows)

    def wait_runs(self, ids, statuses=("done",), timeout=60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.runs(ids)
            if len(state) == len(ids) and all(s["status"] in statuses for s in state.values()):
                return state
            time.sleep(0.25)
        raise TimeoutError(f"runs not {statuses} after {timeout}s: {self.runs(ids)}\n{self.logs()}")

    def logs(self) -> str:
        out = []
        for path in sorted(self.tmp.glob("*.log")):
            out.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(out)
