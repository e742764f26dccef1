"""Ops: the Makefile's commands, `make run` serving for real, the Docker image, entrypoints, .env.example, CI."""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = pytest.mark.embedded

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
    assert result.stdout.split() == ["False", "config.storage.MediaS3Storage"]


# --- platform/: the Docker image and its entrypoints -------------------------------------------------


def test_platform_is_not_a_python_package():
    assert not list(PLATFORM.rglob("*.py"))
    assert (ROOT / "config" / "__init__.py").is_file()  # config/ is the project package


def _docker_builds() -> bool:
    """An image builder is here: the docker CLI and a daemon that answers."""
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _docker_builds(), reason="no image builder (docker daemon) on this machine")
def test_the_image_builds_and_runs_python_311_with_cpu_torch_as_a_non_root_user():
    tag = "findcolor-test-image"
    build = subprocess.run(
        ["docker", "build", "-f", "platform/Dockerfile", "-t", tag, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    probe = "import os, sys, torch; print(sys.version_info[:2], torch.__version__, os.getuid())"
    result = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", tag, "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    version, torch_version, uid = result.stdout.rsplit(" ", 2)
    assert version == "(3, 11)" and torch_version.endswith("+cpu") and int(uid) != 0


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


RECORDER = """#!/usr/bin/env bash
# Stands in for python: records its arguments (and DATABASE_URL) instead of running them.
{ printf '%s' "${DATABASE_URL-unset}"; [ $# -eq 0 ] || printf '\\t%s' "$@"; printf '\\n'; } >> "$CALLS"
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
# NO_POSTGRES=1: the Makefile's `python -c` probe of 127.0.0.1:5432 fails, as on a machine without PostgreSQL
if [ "${1:-}" = "-c" ] && [ -n "${NO_POSTGRES:-}" ]; then exit 1; fi
"""


@pytest.fixture
def recording_python(tmp_path):
    """A virtualenv whose python records each call: `make` really runs, nothing it calls does."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(RECORDER)
    python.chmod(0o755)
    stamp = tmp_path / "stamp"
    stamp.touch()
    calls = tmp_path / "calls.log"
    env = {**os.environ, "CALLS": str(calls), "FINDCOLOR_VAR_DIR": str(tmp_path / "var")}
    # A `make test` running this suite passes its command-line variables (SQLITE_MARK, PYTEST_ARGS) down to every
    # process below it, in MAKEFLAGS and the environment; the make under test must see only what each test gives
    outer = ("DATABASE_URL", "DATABASE_URL_TEST", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    outer += ("SQLITE_MARK", "PYTEST_ARGS", "PG_TEST_URL", "BENCH", "BENCH_ARGS", "HOST", "PORT")
    env = {k: v for k, v in env.items() if k not in outer}

    def run(*args, **extra_env):
        result = make(*args, f"VENV={venv}", f"STAMP={stamp}", env={**env, **extra_env}, timeout=120)
        lines = calls.read_text().splitlines() if calls.exists() else []
        calls.unlink(missing_ok=True)
        return result, [(line.split("\t")[0], line.split("\t")[1:]) for line in lines]

    run.venv, run.python, run.stamp = venv, python, stamp
    return run


def test_make_run_migrates_loads_the_demo_and_serves_with_daphne(recording_python):
    result, calls = recording_python("run", "PORT=8123")
    assert result.returncode == 0, result.stderr
    assert [args for _url, args in calls] == [
        ["manage.py", "migrate", "--noinput"],
        ["manage.py", "load_demo"],
        ["-m", "daphne", "-b", "127.0.0.1", "-p", "8123", "config.asgi:application"],
    ]


def test_make_venv_creates_the_venv_and_installs_the_test_extra(recording_python, tmp_path):
    fresh = tmp_path / "fresh"
    result = make(
        "venv",
        f"PYTHON={recording_python.python}",
        f"VENV={fresh}",
        f"STAMP={tmp_path / 'fresh-stamp'}",
        env={**os.environ, "CALLS": str(tmp_path / "calls.log")},
    )
    assert result.returncode == 0, result.stderr
    calls = [line.split("\t")[1:] for line in (tmp_path / "calls.log").read_text().splitlines()]
    assert calls == [["-m", "venv", str(fresh)], ["-m", "pip", "install", "-q", "-e", ".[test]"]]
    assert (tmp_path / "fresh-stamp").is_file()


def pytest_runs(calls):
    return [(url, args[args.index("-m", 2) + 1 :]) for url, args in calls if args[:2] == ["-m", "pytest"]]


def test_make_test_runs_the_suite_on_postgresql_and_the_embedded_and_browser_tests_on_sqlite(
    recording_python,
):
    result, calls = recording_python("test", DATABASE_URL_TEST="postgres://u@db.example:5432/ci")
    assert result.returncode == 0, result.stderr
    assert pytest_runs(calls) == [
        ("unset", ["embedded and not browser"]),
        ("unset", ["browser"]),
        ("postgres://u@db.example:5432/ci", ["not browser"]),
    ]


def test_make_test_without_postgresql_runs_the_whole_suite_on_sqlite(recording_python):
    result, calls = recording_python("test", NO_POSTGRES="1", CI="")
    assert result.returncode == 0, result.stderr
    assert pytest_runs(calls) == [("unset", ["not browser"]), ("unset", ["browser"])]
    assert "whole suite runs on SQLite" in result.stdout


def test_make_test_under_ci_without_postgresql_fails(recording_python):
    result, calls = recording_python("test", NO_POSTGRES="1", CI="true")
    assert result.returncode != 0
    assert pytest_runs(calls) == [] and "PostgreSQL is not reachable" in result.stdout


def test_make_test_postgres_drops_the_database_it_made_for_itself(recording_python):
    result, calls = recording_python("test-postgres")
    assert result.returncode == 0, result.stderr
    url = next(url for url, args in calls if args[:2] == ["-m", "pytest"])
    own = re.fullmatch(r"postgres://postgres@127\.0\.0\.1:5432/(findcolor_\d+)", url)[1]
    dropped = [" ".join(args) for _url, args in calls if "DROP" in " ".join(args)]
    assert len(dropped) == 1 and f"DROP DATABASE IF EXISTS test_{own} WITH (FORCE)" in dropped[0]


def test_make_lint_runs_ruff_and_the_import_contracts(recording_python):
    (recording_python.venv / "bin" / "lint-imports").symlink_to(recording_python.python)
    result, calls = recording_python("lint")
    assert result.returncode == 0, result.stderr
    # the last call has no arguments: lint-imports (the same recorder) reads its contracts from pyproject.toml
    assert [args[:3] for _url, args in calls] == [["-m", "ruff", "check"], ["-m", "ruff", "format"], []]


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


CI_STUB = """#!/usr/bin/env bash
{ printf '%s' "$(basename "$0")"; [ $# -eq 0 ] || printf ' %s' "$@"; printf '\\n'; } >> "$CALLS"
case "$(basename "$0")" in
    pg_isready) [ -e "$STATE/pg-started" ] ;;
    pg_ctlcluster) touch "$STATE/pg-started" ;;
    make) [ "${1:-}" != test ] || exit "${MAKE_TEST_STATUS:-0}" ;;
esac
"""


def _run_ci(tmp_path, make_test_status=0):
    """Run .ci/run on a copy of the repository's entry point with every system command replaced by a stub
    that records its call (apt-get, pg_ctlcluster, make, ...): what CI does, without doing it."""
    repo, stubs, state = tmp_path / "repo", tmp_path / "stubs", tmp_path / "state"
    for folder in (repo / ".ci", repo / ".venv" / "bin", stubs, state):
        folder.mkdir(parents=True)
    shutil.copy2(ROOT / ".ci" / "run", repo / ".ci" / "run")
    for name in (
        "apt-get",
        "sudo",
        "pg_isready",
        "pg_ctlcluster",
        "psql",
        "redis-cli",
        "make",
        "redis-server",
    ):
        (stubs / name).write_text(CI_STUB)
        (stubs / name).chmod(0o755)
    shutil.copy2(stubs / "make", repo / ".venv" / "bin" / "python")
    for tool in ("bash", "env", "dirname", "basename", "seq", "sort", "tail", "ls", "id", "touch", "sleep"):
        (stubs / tool).symlink_to(shutil.which(tool))
    (stubs / "python3").symlink_to(sys.executable)
    env = {
        "PATH": str(stubs),
        "HOME": str(tmp_path),
        "CALLS": str(tmp_path / "calls.log"),
        "STATE": str(state),
        "MAKE_TEST_STATUS": str(make_test_status),
    }
    result = subprocess.run(
        ["/bin/bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=120
    )
    calls = (tmp_path / "calls.log").read_text().splitlines()
    return result, calls


def test_ci_installs_what_is_missing_from_debian_starts_postgresql_and_runs_make_test(tmp_path):
    result, calls = _run_ci(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    install = next(c for c in calls if c.startswith("apt-get install"))
    assert {"chromium", "docker-compose"} <= set(install.split())  # Debian's chromium
    assert not any("playwright" in c for c in calls)  # never a downloaded browser
    started = next(i for i, c in enumerate(calls) if c.startswith("pg_ctlcluster --skip-systemctl-redirect"))
    assert calls.index("make venv") > started and calls[-1] == "make test"


def test_ci_fails_when_the_test_suite_fails(tmp_path):
    result, calls = _run_ci(tmp_path, make_test_status=2)
    assert result.returncode == 2 and calls[-1] == "make test"
    assert "FAILED" in result.stdout


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
