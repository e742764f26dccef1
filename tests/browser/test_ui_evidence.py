"""Evidence at the point of colour, in a real browser: a curator places a hint for "this object" and attaches
its evidence (note, source, URL, image) in the hint panel; a reviewer sees it live; only the reviewer verifies."""

import io

import pytest
from PIL import Image

from tests.browser.conftest import canvas_point, open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), (150, 30, 40)).save(buf, "PNG")
    return buf.getvalue()


def test_a_curator_places_a_hint_for_this_object_and_attaches_evidence_in_the_hint_panel(sign_in, ui_server):
    curator = sign_in("curator")
    # a photo of its own: the seeded ones are shared, and a hint left there would change what later tests see
    scene = Image.linear_gradient("L").resize((320, 240)).point(lambda v: 37 + v // 2)
    photo = upload_photo(curator, ui_server, scene, "evidence-panel.png", "Evidence in the panel")["id"]
    curator = open_workspace(curator, ui_server, photo)
    reviewer = open_workspace(sign_in("reviewer"), ui_server, photo)
    before = curator.evaluate("Array.from(window.findcolor.room.hints.keys())")

    curator.get_by_label("Reach").select_option("object")
    curator.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    curator.locator('.tool[data-tool="point"]').click()
    x, y = canvas_point(curator, 0.62, 0.35)
    curator.mouse.click(x, y)
    curator.wait_for_function(
        f"Array.from(window.findcolor.room.hints.keys()).some(id => !{sorted(before)}.includes(id))"
    )
    (hint_id,) = set(curator.evaluate("Array.from(window.findcolor.room.hints.keys())")) - set(before)
    assert curator.evaluate(f"window.findcolor.room.hints.get({hint_id}).reach") == "object"
    item = curator.locator(f'#hint-list .hint-item[data-hint="{hint_id}"]')
    assert item.get_by_label(f"Reach of hint {hint_id}").input_value() == "object"

    # the placed hint is selected: its evidence form is right there in the hint panel
    form = curator.locator("#evidence-form")
    form.wait_for(state="visible")
    assert f"#{hint_id}" in curator.locator("#evidence-title").inner_text()
    form.get_by_label("Evidence note").fill("약장 리본은 빨간색: 1951년 통신대 사진 설명")
    form.get_by_label("Source (citation)").fill("US Army Signal Corps caption SC-12345")
    form.get_by_label("Source URL").fill("https://archive.example/sc-12345")
    form.get_by_label("Evidence image").set_input_files(
        {"name": "ribbon.png", "mimeType": "image/png", "buffer": _png()}
    )
    form.get_by_role("button", name="Save evidence").click()
    curator.locator("#evidence-status", has_text="Evidence saved").wait_for()

    # the reviewer sees the evidence and its image arrive live, and may verify; the curator may not
    reviewer.wait_for_function(
        f"(() => {{ const h = window.findcolor.room.hints.get({hint_id});"
        " return h && h.evidence_image && h.evidence_source; })()"
    )
    hint = reviewer.evaluate(f"window.findcolor.room.hints.get({hint_id})")
    assert (
        hint["evidence_note"].startswith("약장 리본")
        and hint["evidence_url"] == "https://archive.example/sc-12345"
    )
    assert hint["status"] == "suggested" and hint["evidence_image"].endswith(".png")
    reviewer_item = reviewer.locator(f'#hint-list .hint-item[data-hint="{hint_id}"]')
    reviewer_item.get_by_role("link", name="image").wait_for()
    assert reviewer_item.get_by_role("button", name=f"Verify hint {hint_id}").count() == 1
    assert item.get_by_role("button", name=f"Verify hint {hint_id}").count() == 0
    image = curator.request.get(ui_server.url + hint["evidence_image"])
    assert image.status == 200 and image.body() == _png()


def test_a_reviewer_is_told_in_the_review_queue_that_a_hint_was_verified_after_the_render_and_rerenders(
    sign_in, ui_server
):
    import time

    from tests.browser.test_ui_publishing import _call, _small_png

    collection = ui_server.seed["collection"]
    curator = sign_in("curator")
    curator.set_default_timeout(60000)
    status, photo = _call(
        curator, f"/api/collections/{collection}/photos/", "POST", {"title": "Evidence test"}, _small_png()
    )
    assert status == 201, photo
    photo_id = photo["id"]
    status, added = _call(
        curator, f"/api/photos/{photo_id}/hints/", "POST", {"x": 0.3, "y": 0.4, "color": "#b22222"}
    )
    assert status == 201, added
    hint_id = added["hint"]["id"]
    status, run = _call(curator, f"/api/photos/{photo_id}/runs/", "POST", {"hints": "all"})
    assert status == 202, run
    version_id = None
    for _ in range(240):  # the server's worker renders it; poll its state, no time bound asserted
        status, body = _call(curator, f"/api/runs/{run['id']}/")
        if body.get("version"):
            version_id = body["version"]
            break
        assert body["status"] not in ("failed", "cancelled"), body
        time.sleep(0.5)
    assert version_id is not None
    assert _call(curator, f"/api/versions/{version_id}/submit/", "POST", {})[0] == 201

    reviewer = sign_in("reviewer")
    reviewer.set_default_timeout(60000)
    status, verified = _call(
        reviewer,
        f"/api/hints/{hint_id}/",
        "PATCH",
        {"revision": 1, "status": "verified", "evidence_source": "Signal Corps caption, 1951"},
    )
    assert status == 200, verified
    reviewer.goto(f"{ui_server.url}/review/")
    item = reviewer.locator(f'.review-item[data-version="{version_id}"]')
    warning = item.locator(".evidence-warning")
    warning.wait_for()
    assert "verified after this version was rendered" in warning.inner_text()
    assert "no verified hint" in warning.inner_text()
    runs_before = len(ui_server.values("colorize.Run", "pk", photo_id=photo_id))
    warning.get_by_role("button", name="Re-render with the current evidence").click()
    warning.locator("[role=status]", has_text="Re-render requested").wait_for()
    assert len(ui_server.values("colorize.Run", "pk", photo_id=photo_id)) == runs_before + 1
