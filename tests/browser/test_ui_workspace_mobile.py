"""Issue 23, item 8 for the workspace: on a phone (390×844, touch) the colour chooser opens over the canvas as a
sheet, every tool target is at least 44×44 px and the swatch labels are readable."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import expose_state
from tests.browser.helpers import upload_photo
from tests.browser.test_ui_mobile import OVERFLOW, PHONE, touch_page

pytestmark = pytest.mark.browser

# Every visible target of a kind, with its size: [[label, width, height], ...]
SIZES = """(sel) => Array.from(document.querySelectorAll(sel)).filter(e => e.getClientRects().length
  && getComputedStyle(e).visibility !== 'hidden').map(e => { const r = e.getBoundingClientRect();
  return [e.id || e.getAttribute('aria-label') || e.dataset.color || e.textContent.trim(), r.width, r.height]; })"""
# The element painted at the middle of the part of the canvas the sheet covers: is it the sheet's?
ON_TOP = """(sheet) => { const c = document.getElementById('canvas').getBoundingClientRect();
  const s = document.querySelector(sheet).getBoundingClientRect();
  const top = Math.max(c.top, s.top), bottom = Math.min(c.bottom, s.bottom);
  if (bottom <= top) return null;
  const hit = document.elementFromPoint((c.left + c.right) / 2, (top + bottom) / 2);
  return document.querySelector(sheet).contains(hit); }"""


def small(page, selector):
    sizes = page.evaluate(SIZES, selector)
    assert sizes, selector
    return [s for s in sizes if s[1] < 44 or s[2] < 44]


def test_a_curator_on_a_phone_chooses_a_colour_in_a_sheet_over_the_canvas_and_every_target_is_big_enough(
    browser, ui_server
):
    context, page = touch_page(browser, ui_server, "curator", PHONE)
    try:
        yy, xx = np.mgrid[0:300, 0:400]
        image = Image.fromarray(((xx + 4 * yy) % 230 + 15).astype(np.uint8), "L")
        photo = upload_photo(page, ui_server, image, "phone-sheet.png", "Phone sheet")["id"]
        page.goto(f"{ui_server.url}/photos/{photo}/")
        page.wait_for_selector("#workspace[data-state=ready]")
        expose_state(page)
        page.wait_for_function("window.findcolor.room.connected")

        assert small(page, ".ws-toolbar button, .ws-toolbar input") == []
        chooser = page.get_by_role("region", name="Colour chooser")
        assert not chooser.is_visible()  # closed: the canvas is free

        page.get_by_role("button", name="Colour chooser").tap()
        chooser.wait_for()
        assert page.get_by_role("button", name="Colour chooser").get_attribute("aria-expanded") == "true"
        assert page.evaluate(ON_TOP, "#color-chooser") is True  # over the canvas, not 600 px below it
        assert page.evaluate(OVERFLOW) <= 0
        assert small(page, "#color-chooser button, #color-chooser input") == []
        sizes = page.evaluate(
            "Array.from(document.querySelectorAll('#color-chooser .swatch-btn, #color-chooser h2'))"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert sizes and min(sizes) >= 12

        swatch = page.locator("#gamut .swatch-btn").nth(5)
        chosen = swatch.get_attribute("data-color")
        swatch.tap()
        assert page.get_by_label("Hint colour as hex").input_value() == chosen
        page.get_by_role("button", name="Close").tap()
        chooser.wait_for(state="hidden")

        # a tap on the photo: the place chooser is a sheet over the canvas too, with big targets
        box = page.locator("#canvas").bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.3)
        page.get_by_role("dialog", name="Colour of this hint").wait_for()
        assert page.evaluate(ON_TOP, "#place-pop") is True
        page.wait_for_function("document.getElementById('place-pop').dataset.ready === 'true'")
        assert small(page, "#place-pop button") == []
        page.locator("#place-current").tap()
        page.wait_for_function(
            f"Array.from(window.findcolor.room.hints.values()).some(h => h.color === '{chosen}')"
        )
    finally:
        context.close()
