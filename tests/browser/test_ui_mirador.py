"""Issue 22, item 3: a real IIIF viewer opens Find Color's manifests. Mirador (npm `mirador`, installed for the
tests only: `npm ci --prefix tests/browser/mirador`) runs on its own origin, loads a public collection and a photo
manifest from the live server, shows the original and the labelled AI-colorized choice, and zooms through the
Image API (tiles from /iiif/3/...)."""

import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, _server_env

pytestmark = pytest.mark.browser

MIRADOR = Path(__file__).resolve().parent / "mirador" / "node_modules" / "mirador" / "dist" / "mirador.min.js"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Mirador</title></head>
<body style="margin:0"><div id="viewer" style="position:absolute;inset:0"></div>
<script src="/mirador.min.js"></script>
<script>
  const config = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  window.miradorInstance = Mirador.viewer({
    id: "viewer",
    windows: [{manifestId: config.manifest}],
    catalog: [{manifestId: config.manifest}, {manifestId: config.collection}],
    osdConfig: {crossOriginPolicy: "Anonymous"},  // tiles fetched with CORS, as WebGL drawing needs
  });
</script></body></html>"""

# A public collection whose photo has an approved (published) AI restoration, made with the tests' colorizer.
SEED = """
import io, json, os, sys
sys.path.insert(0, os.getcwd())
import django
django.setup()
from django.contrib.auth import get_user_model
from accounts.models import Membership, Role
from archive.models import Collection, Visibility
from archive.services.ingest import do_ingest_photo
from colorize.services import review
from tests.browser.seed import encoded, scene
from tests.test_run_support import run_now
User = get_user_model()
owner, reviewer = User.objects.get(username="owner"), User.objects.get(username="reviewer")
collection = Collection.objects.create(title="Mirador archive", owner=owner, visibility=Visibility.PUBLIC)
Membership.objects.create(collection=collection, user=reviewer, role=Role.REVIEWER)
photo = do_ingest_photo(owner, collection, encoded(scene(3200, 2400)), "harbour.jpg", {"title": "Harbour at dawn"})
version = run_now(owner, photo).version
review.do_submit(owner, version)
review.do_approve(reviewer, version)
print(json.dumps({"collection": collection.pk, "photo": photo.pk, "version": version.pk}))
"""


@pytest.fixture(scope="module")
def published(ui_server):
    if not MIRADOR.exists():
        pytest.skip(f"{MIRADOR} is missing: npm ci --prefix tests/browser/mirador")
    env = {
        **_server_env(ui_server.var),
        "JOB_BACKEND": "sync",
        "COLORIZER": "tests.test_run_support.colorizer",
    }
    out = subprocess.run(
        [sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def mirador_site():
    """Mirador's own web server: another origin than the platform's, as an outside viewer is (on loopback
    too, so that Chromium's Local Network Access rules let it reach the test server)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/mirador.min.js":
                body, ctype = MIRADOR.read_bytes(), "text/javascript"
            else:
                body, ctype = PAGE.encode(), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_mirador_opens_a_photo_and_its_collection_and_zooms_through_the_image_api(
    browser, ui_server, published, mirador_site
):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors, tiles, failures = [], [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    tile = re.compile(r"/iiif/3/(photo|version)-(\d+)/([^/]+)/([^/]+)/0/default\.jpg$")

    def seen(response):
        if "/iiif/" in response.url:
            if not response.ok:
                failures.append(f"{response.status} {response.url}")
            elif tile.search(response.url):
                tiles.append(response.url)

    page.on("response", seen)
    photo, version = published["photo"], published["version"]
    config = json.dumps(
        {
            "manifest": f"{ui_server.url}/iiif/photos/{photo}/manifest.json",
            "collection": f"{ui_server.url}/iiif/collections/{published['collection']}/collection.json",
        }
    )

    def tiles_of(identifier):
        """Deep-zoom tiles (a region of the image), not the whole-image thumbnails of the layer list."""
        return [
            m
            for m in (tile.search(u) for u in tiles if f"/iiif/3/{identifier}/" in u)
            if m.group(3) != "full"
        ]

    def wait_for(predicate, what):
        for _ in range(300):  # a condition, checked every 100 ms
            if predicate():
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{what}: tiles {tiles[-10:]}, failures {failures}, errors {errors}")

    try:
        page.goto(f"{mirador_site}/index.html#{config}")
        window = page.get_by_role("region", name="Window: Harbour at dawn")
        window.wait_for(timeout=30_000)
        # The original is drawn from Image API tiles (a CORS fetch from Mirador's origin).
        wait_for(lambda: tiles_of(f"photo-{photo}"), "the original's tiles")

        # The choice: both layers, labelled; the AI-colorized one says so, and can be shown.
        page.get_by_role("button", name="Toggle sidebar").first.click()
        page.get_by_role("tab", name="Layers").click()
        page.get_by_text("Original (black and white, unaltered)").wait_for()
        restored = page.get_by_text(
            re.compile(r"AI-colorized restoration, version 1 \(.+\), approved by reviewer")
        )
        restored.wait_for()
        assert not tiles_of(f"version-{version}")  # hidden until asked for
        page.get_by_role("button", name="Show layer").click()
        wait_for(lambda: tiles_of(f"version-{version}"), "the restoration's tiles")

        # Zoom in until the viewer asks for full-resolution tiles (scale factor 1: 256 px of the scan per tile).
        def full_resolution():
            return any(
                m.group(3) != "full" and m.group(3).split(",")[2] == m.group(4).split(",")[0]
                for m in tiles_of(f"photo-{photo}")
            )

        assert not full_resolution()
        for _ in range(6):
            if full_resolution():
                break
            page.get_by_role("button", name="Zoom in").click()
            page.wait_for_timeout(500)
        wait_for(full_resolution, "full-resolution tiles after zooming in")

        # The collection, from the resource list: Mirador reads it and lists its photo manifest.
        page.get_by_role("button", name="Add resource").click()
        page.get_by_text("Mirador archive").click()
        page.get_by_role("region", name="Window: Mirador archive").get_by_role(
            "button", name="Show collection"
        ).click()
        page.get_by_role("dialog").get_by_text("Harbour at dawn").wait_for()
        assert failures == [] and errors == []
    finally:
        context.close()
