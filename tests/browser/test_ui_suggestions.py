"""Issue 12, item 2: "suggest here" before any hint, no echo of the hint just placed, the whole gamut at the
point's lightness (blues near white included), and no stale panel after a new click."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import canvas_point, open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

SUGGESTED = "Array.from(document.querySelectorAll('#suggestions .swatch-btn')).map(b => b.dataset.color)"


def sky_photo() -> Image.Image:
    """A bright sky (gray 242, L ≈ 95) over a dark street."""
    gray = np.full((300, 400), 242, np.uint8)
    gray[180:] = 60
    return Image.fromarray(gray, "L")


def suggestions_for(page, x, y):
    page.mouse.click(*canvas_point(page, x, y))
    point = f"{x:.4f},{y:.4f}"
    page.wait_for_function(
        f"document.querySelector('#suggestions').dataset.point === '{point}'"
        " && document.querySelectorAll('#suggestions .swatch-btn').length > 0"
    )
    return page.evaluate(SUGGESTED)


def test_a_curator_asks_for_suggestions_before_placing_and_they_do_not_echo_the_hint_placed_there(
    sign_in, ui_server
):
    page = open_workspace(sign_in("curator"), ui_server, ui_server.seed["photos"]["small"])
    hints_before = page.evaluate("window.findcolor.room.hints.size")
    page.locator("#canvas").focus()
    page.keyboard.press("s")  # the "suggest here" tool
    assert (
        page.get_by_role("button", name="Suggest colours here without placing a hint (S)").get_attribute(
            "aria-pressed"
        )
        == "true"
    )
    asked = suggestions_for(page, 0.62, 0.41)
    assert asked and page.evaluate("window.findcolor.room.hints.size") == hints_before  # nothing placed

    # now a magenta hint right there: the suggestions at that point leave it out
    page.keyboard.press("p")
    page.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    page.get_by_label("Hint colour as hex").fill("#ff00ff")
    page.get_by_label("Hint colour as hex").press("Enter")
    page.evaluate("document.querySelector('#suggestions').dataset.point = ''")
    after = suggestions_for(page, 0.62, 0.41)
    page.wait_for_function(f"window.findcolor.room.hints.size === {hints_before + 1}")
    assert after == asked


def test_the_gamut_at_sky_lightness_shows_every_hue_blues_included_and_a_new_click_clears_the_old_panel(
    sign_in, ui_server
):
    page = sign_in("curator")
    photo = upload_photo(page, ui_server, sky_photo(), "sky.png", "Sky over a street")
    open_workspace(page, ui_server, photo["id"])
    page.locator("#canvas").focus()
    page.keyboard.press("s")
    suggestions_for(page, 0.5, 0.2)  # the sky
    assert int(page.locator("#ab-l").inner_text().split()[1]) >= 88
    gamut = page.evaluate(
        "Array.from(document.querySelectorAll('#gamut .swatch-btn')).map(b => b.dataset.color)"
    )
    assert len(gamut) > 16
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in gamut]
    assert any(b > r + 8 and b > g + 4 for r, g, b in rgb), gamut  # a light blue: the sky's colour exists

    # a click on the dark street: in the same moment, the sky's suggestions and lightness are gone
    x, y = canvas_point(page, 0.5, 0.8)
    shown = page.evaluate(
        """([x, y]) => {
          const c = document.getElementById('canvas');
          const opts = {clientX: x, clientY: y, pointerId: 1, pointerType: 'mouse', button: 0, bubbles: true};
          c.dispatchEvent(new PointerEvent('pointerdown', opts));
          c.dispatchEvent(new PointerEvent('pointerup', opts));
          return {text: document.getElementById('suggestions').innerText,
                  swatches: document.querySelectorAll('#suggestions .swatch-btn').length,
                  L: Number(document.getElementById('ab-l').innerText.split(' ')[1])};
        }""",
        [x, y],
    )
    assert shown["swatches"] == 0 and "asking the model" in shown["text"]
    assert shown["L"] < 40
