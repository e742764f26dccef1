"""Ops: the Makefile's commands, `make run` serving for real, the Docker image, entrypoints, .env.example, CI."""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
PLATFORM = ROOT / "platform"
ENTRYPOINTS = ("web.sh", "worker.sh", "migrate.sh")


def settings_env_vars() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source))
    names |= set(re.findall(r"os\.environ(?:\.get\(|\[)\s*\"([A-Z0-9_]+)\"", source))
    names |= set(re.findall(r"os\.getenv\(\s*\"([A-Z0-9_]+)\"", source))
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or os.environ.copy(),
    )


# --- configuration documented ---------------------------------------------------------------------


def test_env_example_documents_every_variable_settings_read():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (PLATFORM / ".env.example").read_text(), re.M))
    read = settings_env_vars()
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "S3_BUCKET"} <= read  # the scan works
    assert not read - documented, f"add to platform/.env.example: {sorted(read - documented)}"


def test_env_example_sets_no_value_that_settings_would_refuse(tmp_path):
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (PLATFORM / ".env.example").read_text(), re.M))
    environ = {k: v for k, v in os.environ.items() if k not in settings_env_vars()}
    environ.update(values)
    environ["FINDCOLOR_VAR_DIR"] = str(tmp_path)
    code = "import config.settings as s; print(s.DEBUG, s.STORAGES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "storages.backends.s3.S3Storage"]


# --- platform/: the Docker image and its entrypoints -------------------------------------------------


def test_platform_is_not_a_python_package():
    assert not list(PLATFORM.rglob("*.py"))
    assert (ROOT / "config" / "__init__.py").is_file()  # config/ is the project package


def test_the_image_is_python_311_slim_with_cpu_torch_pinned():
    dockerfile = (PLATFORM / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    torch_lines = [
        line for line in dockerfile.splitlines() if "torch" in line and not line.lstrip().startswith("#")
    ]
    assert torch_lines == ["RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.findall(r"\"torch[^\"]*\"", pyproject) == ['"torch==2.13.0"']
    assert "USER findcolor" in dockerfile  # the services do not run as root


def test_the_image_leaves_local_state_and_secrets_out():
    ignored = set((PLATFORM / "Dockerfile.dockerignore").read_text().split())
    assert {".git", ".venv", "var", ".env", "runs"} <= ignored


@pytest.mark.parametrize("name", ENTRYPOINTS)
def test_entrypoints_are_strict_executable_bash(name):
    script = PLATFORM / name
    assert script.stat().st_mode & 0o111
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


def test_the_worker_entrypoint_refuses_to_start_without_a_broker():
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [str(PLATFORM / "worker.sh")], env=environ, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


def test_the_migrate_entrypoint_migrates_and_passes_the_deploy_check(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in settings_env_vars()}
    environ.update(
        PATH=f"{VENV / 'bin'}:{environ['PATH']}",
        DEBUG="0",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="archive.example.org",
        FINDCOLOR_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [str(PLATFORM / "migrate.sh")], env=environ, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "findcolor.sqlite3").stat().st_size > 0
    assert "Applying archive.0001_initial" in result.stdout


# --- Makefile ---------------------------------------------------------------------------------------


def test_make_run_migrates_loads_the_demo_and_serves_with_daphne():
    plan = make("-n", "run").stdout
    migrate, demo, serve = (plan.index(s) for s in ("manage.py migrate", "manage.py load_demo", "-m daphne"))
    assert migrate < demo < serve
    assert "-b 127.0.0.1 -p 8000 config.asgi:application" in plan
    assert "-p 8123 " in make("-n", "run", "PORT=8123").stdout


def test_make_creates_the_venv_with_the_test_extra():
    plan = make("-n", "venv", "STAMP=/nonexistent/stamp").stdout
    assert "-m pip install -q -e '.[test]'" in plan
    assert "-m venv .venv" in plan


def test_make_test_runs_sqlite_then_postgresql_without_browser_tests():
    test_recipe = make("-n", "test-postgres", "DATABASE_URL_TEST=postgres://u@db.example:5432/ci").stdout
    assert "DATABASE_URL='postgres://u@db.example:5432/ci'" in test_recipe
    assert '-m "not browser"' in test_recipe
    own = make(
        "-n", "test-postgres", env={k: v for k, v in os.environ.items() if k != "DATABASE_URL_TEST"}
    ).stdout
    db = re.search(r"postgres://postgres@127\.0\.0\.1:5432/(findcolor_\d+)'", own)[1]
    assert f"DROP DATABASE IF EXISTS test_{db} WITH (FORCE)" in own  # a run cleans up its own database
    sqlite_recipe = make("-n", "test-sqlite").stdout
    # SQLite runs everything: the browser tests too, in a pytest process of their own.
    pytest = ".venv/bin/python -m pytest -q -rfEs -p no:cacheprovider --durations=10"
    assert f'env -u DATABASE_URL {pytest} -m "not browser"' in sqlite_recipe
    assert f"env -u DATABASE_URL {pytest} -m browser" in sqlite_recipe
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest: venv\n", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("test-sqlite") < recipe.index("test-postgres")


def test_make_worker_needs_a_broker(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    stamp = tmp_path / "stamp"
    stamp.touch()
    result = make("worker", f"VENV={VENV}", f"STAMP={stamp}", env=environ)
    assert result.returncode != 0
    assert "make worker needs REDIS_URL" in result.stdout


def test_make_bench_runs_the_benchmark_scripts(tmp_path):
    stamp = tmp_path / "stamp"
    stamp.touch()
    script = tmp_path / "fake_bench.py"
    script.write_text("import sys; print('benched with', sys.argv[1:])\n")
    result = make("bench", f"VENV={VENV}", f"STAMP={stamp}", f"BENCH={script}", "BENCH_ARGS=--quick")
    assert result.returncode == 0, result.stderr
    assert f"== {script}" in result.stdout and "benched with ['--quick']" in result.stdout
    assert "bench/*.py" in make("-n", "bench", f"STAMP={stamp}").stdout


@pytest.mark.slow
def test_make_run_serves_the_platform_on_a_fresh_var_folder(tmp_path):
    """The real `make run`: migrate, load the demo, daphne on a free port; then ask it over HTTP."""
    port = free_port()
    stamp = tmp_path / "stamp"
    stamp.touch()  # the venv under test is already installed: skip pip
    environ = {k: v for k, v in os.environ.items() if k not in settings_env_vars()}
    environ["FINDCOLOR_VAR_DIR"] = str(tmp_path / "var")
    log = open(tmp_path / "run.log", "w+")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"VENV={VENV}", f"STAMP={stamp}"],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert server.poll() is None, f"make run exited: {(tmp_path / 'run.log').read_text()}"
                assert time.monotonic() < deadline, "make run did not serve within 180 s"
                time.sleep(0.5)
        assert health == {"status": "ok", "job_backend": "inprocess", "database": "ok", "storage": "ok"}
        with urllib.request.urlopen(f"{base}/api/collections/", timeout=10) as response:
            collections = json.loads(response.read())
        titles = [c["title"] for c in collections.get("results", collections)]
        assert titles == ["Demo: public-domain photographs"]
        with urllib.request.urlopen(f"{base}/login/", timeout=10) as response:
            assert response.status == 200 and b"<form" in response.read()
        with urllib.request.urlopen(f"{base}/static/frontend/app.css", timeout=10) as response:
            assert response.status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert "password" in output  # the demo accounts were created on this first run
    assert (tmp_path / "var" / "findcolor.sqlite3").is_file()
    assert list((tmp_path / "var" / "media" / "originals").rglob("*.png"))


# --- CI ---------------------------------------------------------------------------------------------


def test_ci_script_runs_the_readme_test_command_strictly():
    script = ROOT / ".ci" / "run"
    text = script.read_text()
    assert script.stat().st_mode & 0o111
    assert "set -euo pipefail" in text
    assert re.search(r"^make test\b", text, re.M) or "make test ||" in text
    assert "playwright install" not in text  # Debian's chromium, never a downloaded browser
    assert "apt-get install -y" in text and "chromium" in text
    assert "pg_ctlcluster --skip-systemctl-redirect" in text
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).is_file(), f"README links to missing {link}"


# --- served by daphne: health and static files ------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_storage(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "job_backend": "sync", "database": "ok", "storage": "ok"}


async def test_the_asgi_application_serves_static_files():
    from config.asgi import application

    messages = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/static/frontend/app.css",
        "raw_path": b"/static/frontend/app.css",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await application(scope, receive, send)
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in messages[1:])
    assert body == (ROOT / "frontend" / "static" / "frontend" / "app.css").read_bytes()
    headers = {k.decode().lower(): v.decode() for k, v in messages[0]["headers"]}
    assert "max-age=" in headers["cache-control"] and "public" in headers["cache-control"]  # whitenoise
