"""Issue 12, item 4: a phone (390 px) and a tablet (1024 px): the workspace canvas fills the width, a tap places
a hint, and no page scrolls sideways."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import expose_state
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


def own_photo(page, ui_server, name):
    """A photo of this test's own (the seeded ones' hints are counted by other tests)."""
    yy, xx = np.mgrid[0:300, 0:400]
    shift = sum(map(ord, name))  # a different image per test: no duplicate upload
    image = Image.fromarray(((3 * xx + yy + shift) % 256).astype(np.uint8), "L")
    return upload_photo(page, ui_server, image, f"{name}.png", name)["id"]


OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def touch_page(browser, ui_server, username, viewport):
    context = browser.new_context(
        viewport=viewport, has_touch=True, is_mobile=viewport["width"] < 500, bypass_csp=True
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto(f"{ui_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(ui_server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui_server.url}/")
    return context, page


@pytest.mark.parametrize(
    ("viewport", "spot"), [(PHONE, (0.4, 0.62)), (TABLET, (0.62, 0.4))], ids=["phone-390", "tablet-1024"]
)
def test_a_curator_on_a_phone_or_tablet_taps_a_hint_and_no_page_scrolls_sideways(
    browser, ui_server, viewport, spot
):
    context, page = touch_page(browser, ui_server, "curator", viewport)
    try:
        collection = ui_server.seed["collection"]
        photo = own_photo(page, ui_server, f"Phone or tablet {viewport['width']}")
        for path in ("/", f"/collections/{collection}/", "/review/", f"/photos/{photo}/"):
            page.goto(f"{ui_server.url}{path}")
            page.wait_for_load_state("load")
            assert page.evaluate(OVERFLOW) <= 0, f"{path} overflows sideways at {viewport['width']} px"
        page.wait_for_selector("#workspace[data-state=ready]")
        expose_state(page)
        page.wait_for_function("window.findcolor.room.connected")
        box = page.locator("#canvas").bounding_box()
        assert box["width"] >= viewport["width"] * 0.55 if viewport is TABLET else box["width"] >= 350
        assert box["height"] >= 200
        count = page.evaluate("window.findcolor.room.hints.size")
        x, y = page.evaluate(
            """([u, v]) => { const w = window.findcolor.viewer; const r = w.canvas.getBoundingClientRect();
                const [sx, sy] = w.toScreen(u, v); return [r.left + sx, r.top + sy]; }""",
            list(spot),
        )
        page.touchscreen.tap(x, y)  # the chooser opens at the point; a tap on "use my colour" places the hint
        page.get_by_role("dialog", name="Colour of this hint").wait_for()
        page.locator("#place-current").tap()
        page.wait_for_function(f"window.findcolor.room.hints.size === {count + 1}")
        placed = page.evaluate(
            "Array.from(window.findcolor.room.hints.values()).sort((a, b) => b.id - a.id)[0]"
        )
        assert abs(placed["x"] - spot[0]) < 0.02 and abs(placed["y"] - spot[1]) < 0.02
    finally:
        context.close()


def test_two_fingers_pinch_zoom_the_workspace_canvas(browser, ui_server):
    context, page = touch_page(browser, ui_server, "curator", PHONE)
    try:
        page.goto(f"{ui_server.url}/photos/{own_photo(page, ui_server, 'Pinch')}/")
        page.wait_for_selector("#workspace[data-state=ready]")
        expose_state(page)
        before = page.evaluate("window.findcolor.viewer.scale")
        box = page.locator("#canvas").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        touch = context.new_cdp_session(page)  # two real fingers: Playwright's touchscreen has one

        def fingers(kind, spread):
            points = [{"x": cx - spread, "y": cy, "id": 0}, {"x": cx + spread, "y": cy, "id": 1}]
            touch.send(
                "Input.dispatchTouchEvent",
                {"type": kind, "touchPoints": [] if kind == "touchEnd" else points},
            )

        fingers("touchStart", 20)
        for step in range(1, 11):
            fingers("touchMove", 20 + 8 * step)
        fingers("touchEnd", 0)
        page.wait_for_function(f"window.findcolor.viewer.scale > {before} * 2")
        assert page.evaluate("window.findcolor.room.hints.size") == page.evaluate(
            "document.querySelectorAll('#hint-list .hint-item').length"
        )
    finally:
        context.close()
