"""Upload → hints → live preview → render with progress → version → review → export, in a real browser."""

import hashlib
import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import canvas_point, expose_state, open_workspace

pytestmark = pytest.mark.browser


def _photo_png() -> bytes:
    try:
        from skimage import data

        gray = data.camera()
    except Exception:
        yy, xx = np.mgrid[0:300, 0:400]
        gray = ((xx + yy) % 256).astype(np.uint8)
    image = Image.fromarray(gray, "L").resize((400, 400))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_hint_render_review_and_export_with_provenance(sign_in, ui_server, artifacts):
    collection = ui_server.seed["collection"]
    original = _photo_png()
    curator = sign_in("curator")
    curator.goto(f"{ui_server.url}/collections/{collection}/")
    handle = curator.evaluate_handle(
        """(data) => { const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(data)], "cameraman.png", {type: "image/png"})); return dt; }""",
        list(original),
    )
    curator.dispatch_event("#dropzone", "drop", {"dataTransfer": handle})
    card = curator.locator(".photo-card", has_text="cameraman")
    card.wait_for()
    photo_id = int(card.get_attribute("data-photo"))
    card.get_by_role("link").click()
    curator.wait_for_selector("#workspace[data-state=ready]")
    expose_state(curator)
    curator.wait_for_function("window.findcolor.room.connected")

    # two hints; the live preview follows, tagged with the revision it reflects
    curator.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    for (x, y), color in (((0.45, 0.25), "#8b5a2b"), ((0.5, 0.85), "#556b2f")):
        curator.locator("#canvas").focus()
        curator.keyboard.press("Escape")  # nothing selected: the colour is for the next hint
        curator.get_by_label("Hint colour as hex").fill(color)
        curator.get_by_label("Hint colour as hex").press("Enter")
        curator.mouse.click(*canvas_point(curator, x, y))
        curator.wait_for_function(
            f"Array.from(window.findcolor.room.hints.values()).some(h => h.color === '{color}')"
        )
    colors = curator.evaluate("Array.from(window.findcolor.room.hints.values()).map(h => h.color).sort()")
    assert colors == ["#556b2f", "#8b5a2b"]
    curator.wait_for_function(
        "window.findcolor.viewer.layers.preview && Number(document.getElementById('workspace').dataset.preview)"
        " === window.findcolor.room.revision",
        timeout=30000,
    )
    assert re.search(r"preview r\d+", curator.locator("#revision").inner_text())
    curator.get_by_label("Layer to show").select_option("preview")
    curator.screenshot(path=str(artifacts / "workspace-preview.png"))

    # render with progress
    curator.evaluate(
        """() => { window.__renderStatus = []; const s = document.getElementById('render-status');
            new MutationObserver(() => window.__renderStatus.push(s.textContent)).observe(s, {childList: true,
            characterData: true, subtree: true}); }"""
    )
    curator.get_by_label("Hints to use for the render").select_option("all")
    curator.get_by_role("button", name="Render full resolution").click()
    curator.wait_for_selector("#workspace[data-version]", timeout=90000)
    seen = curator.evaluate("window.__renderStatus")
    assert any(s.startswith(("Render queued", "Rendering")) for s in seen), seen
    assert "Render done" in curator.locator("#render-status").inner_text()
    item = curator.locator("#version-list .version-item").first
    assert (
        "Version 1" in item.inner_text()
        and "2 hints" in item.inner_text()
        and "by curator" in item.inner_text()
    )
    assert curator.get_by_label("Layer to show").input_value().startswith("v")

    # before/after slider against the original
    curator.get_by_label("Compare with (before/after slider)").select_option("original")
    curator.get_by_label("Before/after slider position", exact=True).fill("40")
    curator.wait_for_timeout(200)
    curator.screenshot(path=str(artifacts / "workspace-slider.png"))
    curator.get_by_label("Show the uncertainty overlay").check()
    curator.wait_for_function("window.findcolor.viewer.overlay !== null")
    # issue 12, item 9: the overlay explains itself
    legend = curator.get_by_role("img", name=re.compile(r"^Uncertainty legend: where the model is sure"))
    legend.wait_for()
    assert "unsure" in legend.inner_text()
    curator.get_by_label("Show the uncertainty overlay").uncheck()
    legend.wait_for(state="hidden")

    # a second render; compare the two versions with the slider
    first = curator.evaluate("document.getElementById('workspace').dataset.version")
    curator.get_by_role("button", name="Render full resolution").click()
    curator.wait_for_function(
        f"document.getElementById('workspace').dataset.version !== '{first}'", timeout=90000
    )
    second = curator.evaluate("document.getElementById('workspace').dataset.version")
    assert curator.locator("#version-list .version-item").count() == 2
    curator.get_by_label("Compare with (before/after slider)").select_option(f"v{first}")
    curator.wait_for_function(
        f"window.findcolor.viewer.compare && window.findcolor.viewer.before === 'v{first}'"
    )
    assert curator.evaluate("window.findcolor.viewer.main") == f"v{second}"
    assert curator.evaluate(f"!!window.findcolor.viewer.layers['v{first}']")
    curator.get_by_role("button", name="Submit version 1 for review").click()
    curator.locator("#version-list .badge.state-submitted").wait_for()

    # the reviewer finds it in the queue, compares, approves with a comment
    reviewer = sign_in("reviewer")
    reviewer.get_by_role("link", name="Review queue").click()
    reviewer.get_by_role("link", name=re.compile(r"Review version 1 of cameraman")).click()
    reviewer.wait_for_selector("#workspace[data-state=ready]")
    reviewer.locator("#version-list .version-item").first.wait_for()
    assert reviewer.get_by_label("Compare with (before/after slider)").input_value() == "original"
    reviewer.screenshot(path=str(artifacts / "workspace-review.png"))
    reviewer.get_by_role("button", name="Approve version 1").click()
    dialog = reviewer.get_by_role("dialog", name="Approve version 1")
    dialog.get_by_label("Comment").fill("Uniform colours match the 1945 reference.")
    dialog.get_by_role("button", name="Approve").click()
    dialog.wait_for(state="hidden")
    reviewer.locator("#version-list .badge.state-approved").first.wait_for()
    # the curator sees the decision arrive live
    curator.locator("#version-list .badge.state-approved").first.wait_for(timeout=5000)
    assert ui_server.values("archive.Photo", "status", pk=photo_id) == [("approved",)]

    # download the export: the image carries its provenance
    with reviewer.expect_download() as info:
        reviewer.get_by_role("link", name="Download version 1 as JPEG").click()
    body = open(info.value.path(), "rb").read()
    assert body[:2] == b"\xff\xd8"
    assert b"compositeWithTrainedAlgorithmicMedia" in body
    assert hashlib.sha256(original).hexdigest().encode() in body
    reviewer.goto(f"{ui_server.url}/review/")  # the approved version has left the queue (others' may remain)
    assert reviewer.locator("main h1").inner_text() == "Review queue"
    assert reviewer.locator(f'.review-item a[href*="/photos/{photo_id}/"]').count() == 0

    # delete a hint, then restore the hints of version 1: it comes back as a new hint (nothing overwritten)
    brown = curator.evaluate(
        "Array.from(window.findcolor.room.hints.values()).find(h => h.color === '#8b5a2b').id"
    )
    curator.get_by_role("tab", name=re.compile("Hints")).click()
    curator.get_by_role("button", name=f"Delete hint {brown}").click()
    curator.wait_for_function(f"!window.findcolor.room.hints.has({brown})")
    curator.get_by_role("tab", name=re.compile("Versions")).click()
    curator.get_by_role("button", name="Restore hints from version 1").click()
    curator.wait_for_function(
        "Array.from(window.findcolor.room.hints.values()).some(h => h.color === '#8b5a2b')"
    )
    curator.locator("#toast", has_text="1 added back").wait_for()


def test_a_render_can_be_cancelled(sign_in, ui_server):
    page = open_workspace(sign_in("curator"), ui_server, ui_server.seed["photos"]["big"])
    page.get_by_role("button", name="Render full resolution").click()
    cancel = page.get_by_role("button", name="Cancel the render")
    cancel.wait_for()
    page.get_by_label("Render progress").wait_for()
    cancel.click()
    page.wait_for_selector("#workspace[data-run=cancelled]", timeout=30000)
    assert page.locator("#render-status").inner_text() == "Render cancelled."
    cancel.wait_for(state="hidden")
    assert page.get_by_role("button", name="Render full resolution").is_enabled()
    photo = ui_server.seed["photos"]["big"]
    assert ui_server.values("colorize.Run", "status", photo_id=photo) == [("cancelled",)]


def test_a_viewer_cannot_render_or_review(sign_in, ui_server):
    page = open_workspace(sign_in("viewer"), ui_server, ui_server.seed["photos"]["small"])
    assert page.get_by_role("button", name="Render full resolution").count() == 0
    assert page.get_by_label("Upload a reference colour photo").count() == 0
    assert page.locator("#g-era").is_disabled()
