"""Issue 23, item 4 (second bug): a page opened on a photo that already has hints shows its live preview when
the person chooses it, without anyone editing a hint first."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

# The largest difference between colour channels over the canvas: 0 for a grey image, more for a coloured one.
CHROMA = """() => { const c = window.findcolor.viewer.canvas;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let most = 0;
  for (let i = 0; i < d.length; i += 16) most = Math.max(most, Math.abs(d[i] - d[i + 1]), Math.abs(d[i + 1] - d[i + 2]));
  return most; }"""


def test_a_reviewer_who_opens_a_photo_with_hints_sees_the_live_preview_without_anyone_editing(
    sign_in, ui_server
):
    curator = sign_in("curator")
    yy, xx = np.mgrid[0:240, 0:320]
    image = Image.fromarray(((xx // 2 + yy) % 200 + 30).astype(np.uint8), "L")
    photo = upload_photo(curator, ui_server, image, "preview-later.png", "Preview for a latecomer")["id"]
    open_workspace(curator, ui_server, photo)
    curator.evaluate(
        "window.findcolor.room.add({x: 0.3, y: 0.4, color: '#1f4fd0', radius: 0.05, shape: 'point'})"
    )
    curator.wait_for_function("window.findcolor.previewRevision !== null")  # the change's own preview
    curator.close()

    reviewer = open_workspace(sign_in("reviewer"), ui_server, photo)
    assert reviewer.evaluate("window.findcolor.room.hints.size") == 1
    reviewer.get_by_label("Show hints on the canvas").uncheck()  # the photo alone, not the hint's dot
    reviewer.wait_for_function("window.findcolor.viewer.dirty === false")
    assert reviewer.evaluate(CHROMA) <= 2  # the grey original
    reviewer.select_option("#layer", "preview")
    reviewer.wait_for_function(
        "window.findcolor.viewer.layers.preview"
        " && window.findcolor.previewRevision === window.findcolor.room.revision"
    )
    assert (
        f"r{reviewer.evaluate('window.findcolor.room.revision')}"
        in reviewer.locator("#revision").inner_text()
    )
    reviewer.wait_for_function(f"({CHROMA})() > 20")  # the colorized preview is what the canvas shows
