"""Issue 23, item 10 (last bullet): the uncertainty overlay can be read (a colour ramp and a legend) and turning
it on does not reflow the toolbar."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

BOX = "(s) => { const r = document.querySelector(s).getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"
# Pixels of the overlay as drawn: how many are see-through, and how many are coloured (not grey).
OVERLAY = """() => { const o = window.findcolor.viewer.overlay;
  const d = o.getContext('2d').getImageData(0, 0, o.width, o.height).data; let clear = 0, coloured = 0;
  for (let i = 0; i < d.length; i += 4) { if (d[i + 3] < 40) clear++;
    if (d[i + 3] > 60 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) coloured++; }
  return {clear, coloured, total: d.length / 4}; }"""


def test_a_curator_turns_on_the_uncertainty_overlay_and_reads_it_on_a_ramp_without_the_bars_moving(
    sign_in, ui_server
):
    page = sign_in("curator")
    yy, xx = np.mgrid[0:240, 0:320]
    image = Image.fromarray(((xx * 5 + yy * 2) % 220 + 20).astype(np.uint8), "L")
    photo = upload_photo(page, ui_server, image, "overlay.png", "Uncertainty overlay")["id"]
    open_workspace(page, ui_server, photo)
    page.evaluate(
        "window.findcolor.room.add({x: 0.5, y: 0.5, color: '#2e7d32', radius: 0.03, shape: 'point'})"
    )
    page.locator("#render").click()
    page.wait_for_selector("#workspace[data-version]", timeout=90000)
    page.wait_for_function("!document.getElementById('uncertainty').disabled")

    bars = {s: page.evaluate(BOX, s) for s in (".ws-viewbar", ".ws-canvas-wrap", ".ws-renderbar")}
    page.get_by_label("Show the uncertainty overlay").check()
    page.wait_for_function("window.findcolor.viewer.overlay !== null")
    legend = page.get_by_role("img", name="Uncertainty legend", exact=False)
    legend.wait_for()
    assert {s: page.evaluate(BOX, s) for s in bars} == bars  # nothing moved

    # the legend lies over the canvas, with a ramp wide enough to read and both ends named
    lx, ly, lw, lh = page.evaluate(BOX, "#uncertainty-legend")
    cx, cy, cw, ch = bars[".ws-canvas-wrap"]
    assert cx <= lx and lx + lw <= cx + cw and cy <= ly and ly + lh <= cy + ch
    assert page.evaluate(BOX, ".legend-ramp")[2] >= 100
    assert "sure" in legend.inner_text() and "unsure" in legend.inner_text()

    # the map itself: where the model is sure the photo shows through, elsewhere it is coloured
    seen = page.evaluate(OVERLAY)
    assert seen["coloured"] > 0, seen
    assert seen["coloured"] + seen["clear"] > 0.5 * seen["total"], seen

    page.get_by_label("Show the uncertainty overlay").uncheck()
    legend.wait_for(state="hidden")
    assert {s: page.evaluate(BOX, s) for s in bars} == bars
