"""Issue 12, item 9: redo and its shortcut, the "?" shortcut list, the colour plane by keyboard, distinct
avatar colours, the uncertainty legend (in test_ui_versions) and one clear duplicate-upload message."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import canvas_point, open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser


def own_photo(page, ui_server, name):
    """A photo of this test's own (the seeded ones' hints are counted by other tests)."""
    yy, xx = np.mgrid[0:240, 0:320]
    shift = sum(map(ord, name))  # a different image per test: no duplicate upload
    image = Image.fromarray(((xx + 2 * yy + shift) % 256).astype(np.uint8), "L")
    return upload_photo(page, ui_server, image, f"{name}.png", name)["id"]


def test_a_curator_undoes_and_redoes_from_the_keyboard_and_finds_the_shortcut_list(sign_in, ui_server):
    curator = sign_in("curator")
    page = open_workspace(curator, ui_server, own_photo(curator, ui_server, "Keyboard redo"))
    page.get_by_label("Hint colour as hex").fill("#4682b4")
    page.get_by_label("Hint colour as hex").press("Enter")
    count = page.evaluate("window.findcolor.room.hints.size")
    page.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    page.mouse.click(*canvas_point(page, 0.15, 0.15))
    page.wait_for_function(f"window.findcolor.room.hints.size === {count + 1}")
    page.locator("#canvas").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function(f"window.findcolor.room.hints.size === {count}")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(
        f"window.findcolor.room.hints.size === {count + 1} && Array.from(window.findcolor.room.hints.values())"
        ".some(h => h.color === '#4682b4' && Math.abs(h.x - 0.15) < 1e-3)"
    )
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert "redo" in dialog.inner_text()
    dialog.get_by_role("button", name="Close").click()


def test_the_colour_plane_is_reached_with_tab_and_chooses_a_colour_with_arrows_and_enter(sign_in, ui_server):
    curator = sign_in("curator")
    page = open_workspace(curator, ui_server, own_photo(curator, ui_server, "Keyboard plane"))
    page.get_by_label("Hint colour as hex").fill("#808080")
    page.get_by_label("Hint colour as hex").press("Enter")
    page.get_by_label("Hint colour as hex").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "ab-plane":
            break
    assert page.evaluate("document.activeElement.id") == "ab-plane"
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # towards +a: red
    page.keyboard.press("Enter")
    color = page.get_by_label("Hint colour as hex").input_value()
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    assert r > g + 20 and r > b, color


def _rgb(css):
    return [int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]


def test_people_in_a_room_get_clearly_different_avatar_colours(sign_in, ui_server):
    photo = ui_server.seed["photos"]["second"]
    pages = [open_workspace(sign_in(name), ui_server, photo) for name in ("owner", "viewer", "curator")]
    first = pages[0]
    for name in ("owner", "viewer", "curator"):
        first.locator(f'#presence [data-user="{name}"]').wait_for()
    colours = first.locator("#presence .avatar").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    rgb = [_rgb(c) for c in colours]
    for i in range(len(rgb)):
        for j in range(i + 1, len(rgb)):
            distance = sum((a - b) ** 2 for a, b in zip(rgb[i], rgb[j], strict=True)) ** 0.5
            assert distance > 60, colours
