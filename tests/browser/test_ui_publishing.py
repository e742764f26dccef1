"""Publishing that is explicit (issue 12, item 6), in a real browser: approving an older version while a newer one
is published asks for a confirmation and a reason, and draft downloads are marked as drafts."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_workspace

pytestmark = pytest.mark.browser

# fetch() with the page's session and CSRF cookie; bodies as JSON, or a PNG upload when `png` is given.
FETCH = """async ([url, method, body, png]) => {
  const token = (document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/) || [])[1] || "";
  const init = { method, headers: { "X-CSRFToken": token, Accept: "application/json" }, credentials: "same-origin" };
  if (png) {
    const form = new FormData();
    form.append("file", new File([new Uint8Array(png)], "publishing.png", { type: "image/png" }));
    for (const [k, v] of Object.entries(body || {})) form.append(k, v);
    init.body = form;
  } else if (body) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  return [response.status, await response.json()];
}"""


def _call(page, url, method="GET", body=None, png=None):
    status, data = page.evaluate(FETCH, [url, method, body, png])
    return status, data


def _small_png(shift: int = 0) -> list[int]:
    """A small grey gradient; tests sharing the server pass their own `shift` (no duplicate upload)."""
    yy, xx = np.mgrid[0:120, 0:160]
    gray = ((xx * 2 + yy + shift) % 256).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(gray, "L").save(buffer, format="PNG")
    return list(buffer.getvalue())


def test_approving_an_older_version_asks_for_confirmation_and_drafts_download_marked(sign_in, ui_server):
    collection = ui_server.seed["collection"]
    curator = sign_in("curator")
    curator.set_default_timeout(60000)  # generous: this test runs two renders on the test machine's CPU
    status, photo = _call(
        curator,
        f"/api/collections/{collection}/photos/",
        "POST",
        {"title": "Publishing test"},
        _small_png(shift=97),
    )
    assert status == 201, photo
    photo_id = photo["id"]
    open_workspace(curator, ui_server, photo_id)
    curator.get_by_role("tab", name=re.compile("Versions")).click()
    for _ in range(2):
        status, run = _call(curator, f"/api/photos/{photo_id}/runs/", "POST", {})
        assert status == 202, run
    curator.locator("#version-list .version-item").nth(1).wait_for(timeout=120000)  # the version events
    versions = {
        v["number"]: v["id"] for v in _call(curator, f"/api/photos/{photo_id}/versions/")[1]["results"]
    }
    for number in (1, 2):
        assert _call(curator, f"/api/versions/{versions[number]}/submit/", "POST", {})[0] == 201

    reviewer = sign_in("reviewer")
    reviewer.set_default_timeout(60000)
    reviewer.goto(f"{ui_server.url}/")
    status, _ = _call(reviewer, f"/api/versions/{versions[2]}/approve/", "POST", {"comment": "fine"})
    assert status == 201
    open_workspace(reviewer, ui_server, photo_id)
    reviewer.get_by_role("tab", name=re.compile("Versions")).click()
    newest = reviewer.locator("#version-list .version-item[data-number='2']")
    newest.locator(".badge", has_text="published").wait_for()

    # approving version 1 names the published version 2 and needs the box ticked and a reason
    reviewer.get_by_role("button", name="Approve version 1").click()
    dialog = reviewer.get_by_role("dialog", name="Approve version 1")
    warning = dialog.locator("#review-replace-text")
    warning.wait_for()
    assert "Version 2 is the published restoration" in warning.inner_text()
    dialog.get_by_label("Comment").fill("The flag is right in this one.")
    dialog.get_by_role("button", name="Approve").click()  # the browser refuses: the confirmation is required
    assert dialog.is_visible()
    assert ui_server.values("colorize.Review", "pk", version_id=versions[1], decision="approved") == []
    dialog.get_by_label("Yes, replace the published version").check()
    dialog.get_by_label(re.compile("Why replace it")).fill("version 2 turned the flag orange")
    dialog.get_by_role("button", name="Approve").click()
    dialog.wait_for(state="hidden")
    older = reviewer.locator("#version-list .version-item[data-number='1']")
    older.locator(".badge", has_text="published").wait_for()
    assert ui_server.values(
        "colorize.Review",
        "replace_reason",
        "replaced_version_id",
        "reviewer__username",
        version_id=versions[1],
        decision="approved",
    ) == [("version 2 turned the flag orange", versions[2], "reviewer")]

    # version 2 is a draft again: its downloads say so, and the file is named so
    newest.locator(".draft-mark", has_text="DRAFT").wait_for()
    draft_link = newest.get_by_role("link", name="Download version 2 as JPEG (draft, not published)")
    assert draft_link.get_attribute("data-draft") == "true"
    with reviewer.expect_download() as download:
        draft_link.click()
    assert re.fullmatch(rf"photo{photo_id}-v2-DRAFT-ai-colorized\.jpg", download.value.suggested_filename)
    assert older.locator(".draft-mark").count() == 0
    published_link = older.get_by_role("link", name="Download version 1 as JPEG")
    assert published_link.get_attribute("data-draft") == "false"
    with reviewer.expect_download() as download:
        published_link.click()
    assert download.value.suggested_filename == f"photo{photo_id}-v1-ai-colorized.jpg"
