"""Issue 23, item 4 (first bug): a thumbnail still being made when the grid is replaced (a second file uploaded
before the first one's thumbnail is ready) appears without a reload."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.helpers import png_bytes, upload_photo

pytestmark = pytest.mark.browser


def _scan(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (96, 128), dtype=np.uint8), "L")


def test_a_curators_pending_thumbnail_appears_after_a_second_upload_replaced_the_grid(sign_in, ui_server):
    collection = ui_server.seed["collection"]
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{collection}/")
    large = upload_photo(page, ui_server, _scan(2301), "large-scan.png", "Large scan")
    pk = large["id"]
    for _ in range(600):  # its derivatives made (in-process jobs): polled
        if page.evaluate(f"fetch('/api/photos/{pk}/').then(r => r.json()).then(p => !!p.urls.thumbnail)"):
            break
        page.wait_for_timeout(200)
    ((thumbnail,),) = ui_server.values("archive.Photo", "thumbnail", pk=pk)
    assert thumbnail, "the thumbnail was never made"
    # The large scan's thumbnail is "still being made": the page shows its placeholder and starts watching.
    ui_server.update("archive.Photo", {"pk": pk}, thumbnail="", derivatives_status="pending")
    page.goto(f"{ui_server.url}/collections/{collection}/")
    pending = page.locator(f'#photo-grid [data-pending="{pk}"]')
    pending.wait_for()
    page.evaluate(f"document.querySelector('[data-pending=\"{pk}\"]').dataset.first = '1'")

    # A second file uploaded through the page: when it is in, the grid is replaced.
    page.set_input_files(
        "#file-input",
        files=[{"name": "second.png", "mimeType": "image/png", "buffer": png_bytes(_scan(2302))}],
    )
    page.locator(".upload-row", has_text="second.png").locator(
        ".upload-status", has_text="uploaded"
    ).wait_for()
    page.locator(f'#photo-grid [data-pending="{pk}"]:not([data-first])').wait_for()

    # Now the large scan's thumbnail is ready: the visible grid shows it, with no reload.
    ui_server.update("archive.Photo", {"pk": pk}, thumbnail=thumbnail, derivatives_status="ready")
    page.locator('#photo-grid .photo-card img.thumb[alt="Large scan"]').wait_for(timeout=20_000)
    assert page.locator(f'#photo-grid [data-pending="{pk}"]').count() == 0
