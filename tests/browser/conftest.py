"""Browser tests: a real daphne server (ASGI, WebSockets) on a free port against a SQLite file, driven by
Debian's chromium through Playwright. Everything is session-scoped: one server, one browser.

Skipped when /usr/bin/chromium is missing (`.ci/run` installs it: `apt-get install -y chromium`).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}


# Reads (and the few writes a test stages) go through the ORM in a process configured like the server, so the
# tests name models and fields, never tables: `values("archive.Photo", "title", pk=1)` -> [("Harbour",)].
ORM = """
import json, sys
import django

django.setup()
from django.apps import apps

request = json.loads(sys.argv[1])
rows = apps.get_model(request["model"]).objects.filter(**request["filters"])
if request["update"]:
    print(json.dumps(rows.update(**request["update"])))
else:
    ordered = rows.order_by(*request["order_by"]) if request["order_by"] else rows
    print(json.dumps([list(row) for row in ordered.values_list(*request["fields"])], default=str))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(var_dir: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "S3_BUCKET")
    }
    env.update(
        FINDCOLOR_VAR_DIR=str(var_dir),
        JOB_BACKEND="inprocess",
        JOB_WORKERS="2",
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        PYTHONUNBUFFERED="1",
        ROOM_HEARTBEAT_SECONDS="2",
        # ZIPs of more than two members are background batches (202, then the page follows the batch).
        ZIP_SYNC_MAX_MEMBERS="2",
        # the tests' server loads the model when a test first needs it (settings.MODEL_WARM_ON_START)
        MODEL_WARM_ON_START="0",
    )
    return env


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = _server_env(var_dir)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [python, str(ROOT / "tests" / "browser" / "seed.py")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = _free_port()
    log = open(var_dir / "daphne.log", "w")
    proc = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=2).read()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(
                    f"daphne did not start:\n{(var_dir / 'daphne.log').read_text()[-3000:]}"
                ) from None
            time.sleep(0.2)

    def orm(model: str, fields=(), filters=None, order_by=(), update=None):
        request = {
            "model": model,
            "fields": list(fields),
            "filters": filters or {},
            "order_by": list(order_by),
            "update": update,
        }
        done = subprocess.run(
            [python, "-c", ORM, json.dumps(request)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    def values(model: str, *fields, order_by=(), **filters) -> list[tuple]:
        """The rows of `model` (app_label.Model) that match `filters`, as tuples of `fields` (ORM lookups)."""
        return [tuple(row) for row in orm(model, fields, filters, order_by)]

    def update(model: str, filters: dict, **changes) -> int:
        """Stage a state the server must notice (e.g. a background job that finished)."""
        return orm(model, filters=filters, update=changes)

    yield SimpleNamespace(
        url=url,
        var=var_dir,
        seed=seed,
        password=seed["password"],
        values=values,
        update=update,
        log=var_dir / "daphne.log",
    )
    proc.terminate()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    shutil.copy(var_dir / "daphne.log", ARTIFACTS / "daphne.log")


@pytest.fixture(scope="session")
def browser(ui_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.ui_failed = report.failed


@pytest.fixture
def sign_in(browser, ui_server, request):
    """sign_in("curator") -> a Page signed in through the login form, in its own browser context."""
    contexts = []

    def make(username, viewport=VIEWPORT, enforce_csp=False):
        # bypass_csp: Playwright's wait_for_function evaluates its predicate as a string, which the platform's
        # strict CSP (no 'unsafe-eval') rightly refuses; the pages' own scripts still run under the policy.
        context = browser.new_context(viewport=viewport, accept_downloads=True, bypass_csp=not enforce_csp)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
        page.goto(f"{ui_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(ui_server.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{ui_server.url}/")
        return page

    errors: list[str] = []
    make.errors = errors
    yield make
    if getattr(request.node, "ui_failed", False):  # keep what each page showed when the test failed
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}-{i}-{j}.png"))
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the pages: {errors}"


# Test-only: the workspace's shared state (state.room, state.viewer, state.metrics), reached by importing the
# page's own entry module again (same URL, so the same instance) and kept as window.findcolor for the tests'
# expressions. Production code exposes nothing on window.
EXPOSE = """async () => {
  const src = document.querySelector('script[type=module][src*="workspace"]').src;
  window.findcolor = (await import(src)).state;
}"""


def expose_state(page):
    page.evaluate(EXPOSE)
    return page


def open_workspace(page, ui_server, photo_id, live=True):
    page.goto(f"{ui_server.url}/photos/{photo_id}/")
    page.wait_for_selector("#workspace[data-state=ready]")
    expose_state(page)
    if live:
        page.wait_for_function("window.findcolor.room.connected")
    return page


def canvas_point(page, x, y):
    """Screen position of the normalized image point (x, y) on the workspace canvas."""
    return page.evaluate(
        """([x, y]) => { const v = window.findcolor.viewer; const r = v.canvas.getBoundingClientRect();
            const [sx, sy] = v.toScreen(x, y); return [r.left + sx, r.top + sy]; }""",
        [x, y],
    )


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None
