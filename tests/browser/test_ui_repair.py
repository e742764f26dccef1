"""Repair before colour in a real browser: a curator finds the damage, erases a false find, paints a missed speck
(a second curator's panel follows live), previews, applies, renders colour on the repaired base and exports; the
export's metadata names the repair."""

import io
import os
import time

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

# The server of this session repairs with tests/test_repair_support.py's repairer (the shipped checkpoint when it
# exists, else a verified constructed one): set before the session's server starts, which copies the environment.
os.environ.setdefault("REPAIRER", "tests.test_repair_support.repairer")

W, H = 200, 150
SCRATCH_Y = 60  # a white scratch across rows 59-61
SPECK = (150, 110)  # a dark speck the curator paints by hand


def _scratched() -> Image.Image:
    xx = np.linspace(70, 170, W)[None, :]
    yy = np.linspace(0, 40, H)[:, None]
    gray = np.round(xx + yy).astype(np.uint8)
    gray[SCRATCH_Y - 1 : SCRATCH_Y + 2, 20:180] = 255
    gray[SPECK[1] - 2 : SPECK[1] + 3, SPECK[0] - 2 : SPECK[0] + 3] = 5
    return Image.fromarray(gray, "L")


def _drag(page, points):
    """Press, move through `points` (working-image pixels) and release on the repair canvas."""
    page.locator("#repair-canvas").scroll_into_view_if_needed()
    box = page.locator("#repair-canvas").bounding_box()
    screen = [
        (box["x"] + (x + 0.5) * box["width"] / W, box["y"] + (y + 0.5) * box["height"] / H) for x, y in points
    ]
    page.mouse.move(*screen[0])
    page.mouse.down()
    for point in screen[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def _mask(page) -> np.ndarray:
    body = page.request.get(page.url.split("/photos/")[0] + page.evaluate("window.__maskUrl()")).body()
    with Image.open(io.BytesIO(body)) as image:
        return np.asarray(image) == 255


def _revision(page) -> int:
    text = page.locator("#repair-summary").inner_text()
    return int(text.split("revision ")[1].split(":")[0])


def test_a_curator_repairs_the_damage_then_colours_and_exports_the_repaired_photo(
    sign_in, ui_server, artifacts
):
    curator = sign_in("curator")
    curator.goto(f"{ui_server.url}/")
    photo = upload_photo(curator, ui_server, _scratched(), "scratched.png", "Scratched portrait")
    photo_id = photo["id"]
    deadline = time.monotonic() + 60
    while ui_server.values("archive.Photo", "derivatives_status", pk=photo_id) != [("ready",)]:
        assert time.monotonic() < deadline, "the derivatives were not made"
        curator.wait_for_timeout(200)
    open_workspace(curator, ui_server, photo_id)
    curator.evaluate(
        "window.__maskUrl = () => `/api/photos/${JSON.parse(document.getElementById('page-config').textContent)"
        ".photo.id}/repair/mask.png`"
    )
    curator.locator("#repair-panel summary").click()

    # find damage: a job with a mask at the end
    curator.get_by_role("button", name="Find damage").click()
    curator.wait_for_function(
        "document.getElementById('repair-summary').textContent.includes('revision')", timeout=60000
    )
    assert ui_server.values("colorize.DamageScan", "status") == [("done",)]
    first = _revision(curator)

    # a second curator follows the mask live in the same room
    other = sign_in("curator2")
    open_workspace(other, ui_server, photo_id)
    other.locator("#repair-panel summary").click()
    other.wait_for_function(
        f"document.getElementById('repair-summary').textContent.includes('revision {first}:')"
    )

    # erase a "false find" (the top-left corner: whatever the detector marked there) and paint the missed speck
    curator.get_by_label("Eraser (keeps the original)").check()
    curator.get_by_label("Brush radius in pixels").fill("30")
    _drag(curator, [(0, 0), (60, 0), (60, 40), (0, 40), (0, 20), (60, 20)])
    curator.wait_for_function(
        f"document.getElementById('repair-summary').textContent.includes('revision {first + 1}')"
    )
    curator.get_by_label("Repair brush (marks damage)").check()
    curator.get_by_label("Brush radius in pixels").fill("4")
    _drag(curator, [SPECK, (SPECK[0] + 1, SPECK[1])])
    curator.wait_for_function(
        f"document.getElementById('repair-summary').textContent.includes('revision {first + 2}')"
    )
    _drag(
        curator, [(18, SCRATCH_Y), (100, SCRATCH_Y), (181, SCRATCH_Y)]
    )  # and the scratch, in case it was missed
    curator.wait_for_function(
        f"document.getElementById('repair-summary').textContent.includes('revision {first + 3}')"
    )
    other.wait_for_function(
        f"document.getElementById('repair-summary').textContent.includes('revision {first + 3}:')"
    )
    mask = _mask(curator)
    assert not mask[0:40, 0:60].any()
    assert mask[SPECK[1], SPECK[0]] and mask[SCRATCH_Y, 100]
    strokes = ui_server.values(
        "colorize.RepairStroke", "action", repair_mask__photo_id=photo_id, order_by=["id"]
    )
    assert strokes == [("remove",), ("add",), ("add",)]

    # preview, then apply
    curator.get_by_role("button", name="Preview the repair").click()
    curator.locator("#repair-compare img.after").wait_for()
    curator.get_by_label("Repair before/after slider position").fill("30")
    curator.screenshot(path=str(artifacts / "workspace-repair-preview.png"))
    curator.get_by_role("button", name="Apply the repair").click()
    curator.locator("#repair-bases li.active").wait_for()
    assert "applied by curator" in curator.locator("#repair-bases li.active").inner_text()
    (base_id,) = ui_server.values("colorize.RepairedBase", "id", withdrawn_at__isnull=True)[0]

    # colour on the repaired base
    curator.get_by_role("button", name="Render full resolution").click()
    curator.wait_for_selector("#workspace[data-version]", timeout=120000)
    version = int(curator.evaluate("document.getElementById('workspace').dataset.version"))
    assert ui_server.values("colorize.Version", "run__base_id", pk=version) == [(base_id,)]
    exported = curator.request.get(f"{ui_server.url}/api/versions/{version}/export/?format=png")
    assert exported.ok
    with Image.open(io.BytesIO(exported.body())) as image:
        xmp = image.info["XML:com.adobe.xmp"]
        rgb = np.asarray(image.convert("L"))
    assert "<fc:RepairApplied>True</fc:RepairApplied>" in xmp
    assert "<fc:RepairModelName>findcolor-repair</fc:RepairModelName>" in xmp
    assert "<fc:RepairedPixelShare>" in xmp
    assert rgb[SCRATCH_Y, 30:170].max() < 230  # the scratch is not in the colour photo


def test_a_curator_paints_the_mask_on_the_zoomed_main_view_and_it_lands_on_the_pixel_clicked(
    sign_in, ui_server
):
    """The mask on the main deep-zoom view: a brush stroke painted at 4:1 is stored at the image pixel clicked
    (sent as a room frame), and the overlay shows it on that very pixel; "Show the mask" turns it off."""
    from tests.browser.conftest import canvas_point

    curator = sign_in("curator")
    curator.goto(f"{ui_server.url}/")
    own = np.asarray(_scratched()).copy()
    own[0, 0] = 1  # a photo of its own (the other test's is the same file: a duplicate)
    photo_id = upload_photo(
        curator, ui_server, Image.fromarray(own, "L"), "zoomed.png", "Painted when zoomed"
    )["id"]
    deadline = time.monotonic() + 60
    while ui_server.values("archive.Photo", "derivatives_status", pk=photo_id) != [("ready",)]:
        assert time.monotonic() < deadline, "the derivatives were not made"
        curator.wait_for_timeout(200)
    open_workspace(curator, ui_server, photo_id)
    other = sign_in("curator2")  # a second curator in the room hears the stroke
    open_workspace(other, ui_server, photo_id)
    other.locator("#repair-panel summary").click()
    curator.locator("#repair-panel summary").click()
    curator.wait_for_function("document.getElementById('repair-summary').textContent !== ''")
    curator.get_by_label("Brush radius in pixels").fill("1")
    curator.get_by_label("Paint on the photo (the main view)").check()

    posted = []  # with the socket open, the stroke is a room frame, not a REST call
    curator.on(
        "request", lambda r: posted.append(r.url) if r.method == "POST" and "/strokes/" in r.url else None
    )
    px, py = 123, 47  # the pixel painted
    curator.evaluate(f"window.findcolor.viewer.actualPixels({(px + 0.5) / W}, {(py + 0.5) / H})")
    curator.evaluate("window.findcolor.viewer.zoomAt(4)")
    curator.wait_for_function("document.getElementById('zoom-level').textContent === '400%'")
    sx, sy = canvas_point(curator, (px + 0.5) / W, (py + 0.5) / H)
    curator.mouse.click(sx, sy)
    curator.wait_for_selector("#workspace[data-repair-mask='1']")
    ((points, radius, by),) = ui_server.values(
        "colorize.RepairStroke", "points", "radius", "created_by__username", repair_mask__photo_id=photo_id
    )
    assert (radius, by, len(points)) == (1, "curator", 1)
    (x, y) = points[0]
    assert abs(x - (px + 0.5)) <= 0.13 and abs(y - (py + 0.5)) <= 0.13, points  # a quarter pixel at 4:1
    other.wait_for_selector("#workspace[data-repair-mask='1']")  # the room's repair.mask event
    assert posted == []

    def shown(page, ix, iy):
        """The main canvas's RGBA at the centre of image pixel (ix, iy)."""
        return page.evaluate(
            """([u, v]) => { const view = window.findcolor.viewer; const [sx, sy] = view.toScreen(u, v);
                const d = view.dpr; return Array.from(view.ctx.getImageData(Math.floor(sx * d), Math.floor(sy * d), 1, 1).data); }""",
            [(ix + 0.5) / W, (iy + 0.5) / H],
        )

    curator.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    red = shown(curator, px, py)
    assert red[0] == 255 and red[1] == 0 and red[3] > 100, red
    assert shown(curator, px + 3, py)[3] == 0 and shown(curator, px, py - 3)[3] == 0  # only the stroke
    curator.get_by_label("Show the mask").uncheck()
    curator.wait_for_selector("#workspace:not([data-repair-mask])")
    curator.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert shown(curator, px, py)[3] == 0
