"""Issue 22, item 2: on a deep-zoomed scan (OpenSeadragon tiles under the canvas, js/workspace/deepzoom.js) a
colleague's cursor and the uncertainty map stay on the tiles' pixels at every zoom.

The cursor is a real one (the reviewer points in their own workspace; the room brings it). The uncertainty map is
drawn by the canvas's real overlay path (viewer.overlay, drawn over the image's box) but its content is made here:
a map at a quarter of the scan's resolution, as a model's map is, clear except for one red block where the scan
has its bright square, so where it lands can be measured. Loading and colouring a real version's map are
tests/browser/test_ui_workspace_overlay.py's."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import canvas_point, open_workspace
from tests.browser.helpers import upload_photo, wait_for_ingest

pytestmark = pytest.mark.browser

W, H = 3072, 2048  # four pyramid levels below the full resolution
MX, MY, SIDE = 1732, 908, 16  # a bright square in a dark scan: top-left pixel and side (a multiple of 4)
RED_OVERLAY = f"""() => {{
  const v = window.findcolor.viewer; const c = document.createElement('canvas');
  c.width = {W // 4}; c.height = {H // 4};
  const ctx = c.getContext('2d'); ctx.fillStyle = '#ff0000'; ctx.fillRect({MX // 4}, {MY // 4}, {SIDE // 4}, {SIDE // 4});
  v.overlay = c; v.overlayOpacity = 1; v.invalidate(); }}"""
SETTLED = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def scan() -> Image.Image:
    gray = np.full((H, W), 40, np.uint8)
    gray[MY : MY + SIDE, MX : MX + SIDE] = 250
    return Image.fromarray(gray, "L")


def shot(page) -> tuple[dict, np.ndarray]:
    wrap = page.locator(".ws-canvas-wrap").bounding_box()
    return wrap, np.asarray(Image.open(io.BytesIO(page.screenshot(clip=wrap))).convert("RGB")).astype(int)


def box(wrap, mask):
    """Screen box [x0, y0, x1, y1] (exclusive ends) of the True pixels of a screenshot of `wrap`, or None."""
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    return [wrap["x"] + xs.min(), wrap["y"] + ys.min(), wrap["x"] + xs.max() + 1, wrap["y"] + ys.max() + 1]


HIDE_CURSORS = """() => { const v = window.findcolor.viewer; window.__cursors = new Map(v.cursors);
  v.cursors.clear(); v.invalidate(); }"""
SHOW_CURSORS = """() => { const v = window.findcolor.viewer;
  for (const [k, c] of window.__cursors) v.cursors.set(k, { ...c, t: performance.now() }); v.invalidate(); }"""


def measure(page):
    """The boxes of the bright (tiles) and red (overlay) pixels, and of what bob's cursor adds over them."""
    page.evaluate(HIDE_CURSORS)
    page.evaluate(SETTLED)
    wrap, bare = shot(page)
    page.evaluate(SHOW_CURSORS)
    page.evaluate(SETTLED)
    _, with_cursor = shot(page)
    r, g, b = bare[..., 0], bare[..., 1], bare[..., 2]
    return {
        "bright": box(wrap, (r > 150) & (g > 150) & (b > 150)),
        "red": box(wrap, (r > 150) & (g < 80) & (b < 80)),
        "cursor": box(wrap, np.abs(with_cursor - bare).sum(axis=2) > 60),
    }


def point_at(bob, alice, u, v):
    """bob's mouse comes to the image point (u, v) in his workspace; alice's room hears it."""
    x, y = canvas_point(bob, u, v)
    bob.mouse.move(x - 5, y)
    bob.wait_for_timeout(120)  # cursor frames are sent at most every 50 ms
    bob.mouse.move(x, y)
    alice.wait_for_function(
        f"[...window.findcolor.viewer.cursors.values()].some((c) => Math.abs(c.x - {u}) < 2 / {W} "
        f"&& Math.abs(c.y - {v}) < 2 / {H} && performance.now() - c.t < 3000)"
    )


def settle(page, zoom_text):
    page.wait_for_function(f"document.getElementById('zoom-level').textContent === '{zoom_text}'")
    page.evaluate(SETTLED)
    page.wait_for_selector("#workspace[data-tiles=loaded]")


def test_a_colleagues_cursor_and_the_uncertainty_map_stay_on_the_tiles_pixels_at_every_zoom(
    sign_in, ui_server
):
    alice = sign_in("curator")
    photo = upload_photo(alice, ui_server, scan(), "scan-layers.png", "Layers over deep zoom")["id"]
    wait_for_ingest(alice, ui_server, photo)
    open_workspace(alice, ui_server, photo)
    alice.wait_for_selector("#workspace[data-deepzoom=iiif]", timeout=60000)
    bob = open_workspace(sign_in("reviewer"), ui_server, photo)
    bob.wait_for_selector("#workspace[data-deepzoom=iiif]", timeout=60000)

    # bob points at the middle of the square at 1:1 in his own workspace
    cu, cv = (MX + SIDE / 2) / W, (MY + SIDE / 2) / H
    bob.evaluate(f"window.findcolor.viewer.actualPixels({cu}, {cv})")
    settle(bob, "100%")
    point_at(bob, alice, cu, cv)

    alice.get_by_label("Show hints on the canvas").uncheck()
    alice.evaluate(RED_OVERLAY)
    alice.locator("#canvas").focus()
    for zoom, action in (
        ("100%", f"window.findcolor.viewer.actualPixels({cu}, {cv})"),
        ("300%", "window.findcolor.viewer.zoomAt(3)"),
        ("300%", "window.findcolor.viewer.panBy(-37, 23)"),
        ("600%", "window.findcolor.viewer.zoomAt(2)"),
    ):
        point_at(bob, alice, cu, cv)  # again: a cursor not moved for 15 s fades away
        alice.evaluate(action)
        settle(alice, zoom)
        scale = int(zoom[:-1]) / 100
        seen = None
        for _ in range(100):  # until this level's tiles are drawn (coarser levels show first)
            seen = measure(alice)
            bright = seen["bright"]
            if bright and abs((bright[2] - bright[0]) - SIDE * scale) <= 1:
                break
            alice.wait_for_timeout(200)
        bright, red, cursor = seen["bright"], seen["red"], seen["cursor"]
        assert bright and red and cursor, (zoom, seen)
        # the tiles show the square at its size, and the map's red block lies on it: the same middle to half a
        # pixel of the scan, the same edges but for the map's smoothing when magnified (a map pixel is 4 of the
        # scan's)
        assert abs((bright[2] - bright[0]) - SIDE * scale) <= 1, (zoom, bright)
        for a, b in ((0, 2), (1, 3)):
            middle_gap = abs((red[a] + red[b]) / 2 - (bright[a] + bright[b]) / 2)
            assert middle_gap <= max(1, scale / 2), (zoom, red, bright)
        assert all(abs(a - b) <= max(1, scale) for a, b in zip(red, bright, strict=True)), (zoom, red, bright)
        # bob's cursor (an arrow whose tip is its top-left corner, under a 1-px stroke) points at the middle of
        # the square as the tiles show it; bob pointed at 1:1, to within half a pixel of the scan
        middle = [(bright[0] + bright[2]) / 2, (bright[1] + bright[3]) / 2]
        tip = [cursor[0] + 1, cursor[1] + 1]
        assert all(abs(a - b) <= 1.5 + 0.6 * scale for a, b in zip(tip, middle, strict=True)), (
            zoom,
            tip,
            middle,
        )
