"""Issue 23, item 3: suggest, then place. With the point tool a click shows the model's suggestions at that point
and picking one places the hint in it; quick placement (Q, or Shift+click) keeps "place in the current colour"."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import canvas_point, open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

HINTS = "Array.from(window.findcolor.room.hints.values())"


def test_two_curators_place_hints_in_suggested_colours_and_one_keeps_quick_placement(sign_in, ui_server):
    alice = sign_in("curator")
    yy, xx = np.mgrid[0:240, 0:320]
    image = Image.fromarray(((xx + yy) % 180 + 40).astype(np.uint8), "L")
    photo = upload_photo(alice, ui_server, image, "suggest-place.png", "Suggest, then place")["id"]
    open_workspace(alice, ui_server, photo)
    bob = open_workspace(sign_in("curator2"), ui_server, photo)
    bob.locator('#presence [data-user="curator"]').wait_for()
    for page in (alice, bob):  # both start from the old default colour: it must not be what lands
        page.get_by_label("Hint colour as hex").fill("#b22222")
        page.get_by_label("Hint colour as hex").press("Enter")

    # alice clicks: the chooser opens at the point with the suggestions there, and nothing is placed yet
    alice.mouse.click(*canvas_point(alice, 0.3, 0.4))
    chooser = alice.get_by_role("dialog", name="Colour of this hint")
    chooser.wait_for()
    alice.wait_for_function("document.getElementById('place-pop').dataset.ready === 'true'")
    offered = chooser.locator("#place-suggestions .swatch-btn").evaluate_all(
        "bs => bs.map(b => b.dataset.color)"
    )
    assert len(offered) >= 2 and "#b22222" not in offered
    assert alice.evaluate("window.findcolor.room.hints.size") == 0
    assert bob.evaluate("window.findcolor.room.hints.size") == 0

    # she picks the second suggestion: that is the hint's colour, for her and for bob
    chooser.locator(f'#place-suggestions .swatch-btn[data-color="{offered[1]}"]').click()
    bob.wait_for_function(f"{HINTS}.length === 1")
    (placed,) = bob.evaluate(HINTS)
    assert placed["color"] == offered[1]
    assert abs(placed["x"] - 0.3) < 1e-3 and abs(placed["y"] - 0.4) < 1e-3
    assert chooser.is_hidden()

    # Escape leaves a waiting point without placing anything
    alice.mouse.click(*canvas_point(alice, 0.7, 0.7))
    chooser.wait_for()
    alice.keyboard.press("Escape")
    assert chooser.is_hidden()

    # bob works fast: Q turns quick placement on, and a click places at once in his colour
    bob.get_by_label("Hint colour as hex").fill("#2e7d32")
    bob.get_by_label("Hint colour as hex").press("Enter")
    bob.locator("#canvas").focus()
    bob.keyboard.press("q")
    assert bob.locator("#quick-place").get_attribute("aria-pressed") == "true"
    bob.mouse.click(*canvas_point(bob, 0.6, 0.2))
    alice.wait_for_function(f"{HINTS}.length === 2")
    assert sorted(h["color"] for h in alice.evaluate(HINTS)) == sorted([offered[1], "#2e7d32"])
    assert bob.get_by_role("dialog", name="Colour of this hint").is_hidden()

    # Shift+click is a quick placement once, without the toggle
    alice.get_by_label("Hint colour as hex").fill("#1f4fd0")
    alice.get_by_label("Hint colour as hex").press("Enter")
    alice.keyboard.down("Shift")
    alice.mouse.click(*canvas_point(alice, 0.2, 0.8))
    alice.keyboard.up("Shift")
    bob.wait_for_function(f"{HINTS}.some(h => h.color === '#1f4fd0')")
    assert bob.evaluate(f"{HINTS}.length") == 3
