"""The archive pages in a real browser: sign in/out, collections, grid with facets and search, upload, metadata."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_curator_signs_in_sees_collection_cards_and_signs_out(sign_in, ui_server, artifacts):
    page = sign_in("curator")
    card = page.locator(".collection-card", has_text="Liberation 1945")
    card.wait_for()
    page.screenshot(path=str(artifacts / "collections.png"))
    assert card.locator(".mosaic img").count() >= 2  # thumbnail mosaic
    assert "unrestored" in card.locator(".counts").inner_text()
    assert "you are curator" in card.inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
    page.goto(f"{ui_server.url}/")  # signed out: the public landing page, no private collection
    page.locator(".landing-intro").wait_for()
    assert page.locator(".collection-card", has_text="Liberation 1945").count() == 0


def test_wrong_password_shows_a_readable_error(browser, ui_server):
    page = browser.new_page()
    page.goto(f"{ui_server.url}/login/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill("nope")
    page.get_by_role("button", name="Sign in").click()
    assert "didn't match" in page.get_by_role("alert").inner_text()
    page.close()


def test_an_outsider_does_not_see_the_private_collection(sign_in, ui_server):
    page = sign_in("outsider")
    assert page.locator(".collection-card", has_text="Liberation 1945").count() == 0
    response = page.goto(f"{ui_server.url}/collections/{ui_server.seed['collection']}/")
    assert response.status == 404


def test_the_grid_filters_by_facets_searches_and_sorts(sign_in, ui_server):
    page = sign_in("viewer")
    page.goto(f"{ui_server.url}/collections/{ui_server.seed['collection']}/")
    grid = page.get_by_label("Photo grid")
    assert grid.locator(".photo-card").count() >= 2
    page.get_by_role("navigation", name="Situation").get_by_role("link", name="portrait").click()
    page.wait_for_url("**situation=portrait**")
    expect(grid.locator(".photo-card")).to_have_count(1)
    assert "Portrait of a teacher" in grid.inner_text()
    page.get_by_role("navigation", name="Situation").get_by_role("link", name="any").click()
    page.wait_for_url(re.compile(r"^(?!.*situation=portrait)"))
    page.get_by_role("navigation", name="Era").get_by_role("link", name="Liberation").first.click()
    page.wait_for_url("**era=liberation**")
    titles = grid.locator(".title")
    expect(titles.filter(has_text="Street in Seoul")).to_have_count(1)
    assert all(
        ui_server.values("archive.Photo", "era__slug", title=t.strip()) == [("liberation",)]
        for t in titles.all_inner_texts()
    )
    page.get_by_role("navigation", name="Era").get_by_role("link", name="any").click()
    page.wait_for_url(re.compile(r"^(?!.*era=liberation)"))
    page.get_by_role("searchbox", name="Search").fill("teacher")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=teacher**")
    expect(grid.locator(".title")).to_have_text(["Portrait of a teacher"])
    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Sort by").select_option("title")
    page.wait_for_url("**sort=title**")
    titles = [t.strip() for t in grid.locator(".title").all_inner_texts()]
    assert titles == sorted(titles, key=str.lower) or titles == sorted(titles)
    # a viewer gets no upload zone and no edit buttons
    assert page.locator("#dropzone").count() == 0
    assert page.get_by_role("button", name="Edit metadata of Street in Seoul").count() == 0


def _png(seed, size=(96, 72)) -> bytes:
    import numpy as np

    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0]), dtype=np.uint8), "L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _drop(page, selector, files):
    """Dispatch a real drop event with File objects built in the page (what a drag from the desktop does)."""
    payload = [{"name": name, "type": mime, "data": list(data)} for name, mime, data in files]
    handle = page.evaluate_handle(
        """(files) => { const dt = new DataTransfer();
            for (const f of files) dt.items.add(new File([new Uint8Array(f.data)], f.name, {type: f.type}));
            return dt; }""",
        payload,
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": handle})


def test_drop_uploads_several_files_with_progress_and_a_clear_error_per_bad_file(
    sign_in, ui_server, artifacts
):
    import zipfile

    collection = ui_server.seed["collection"]
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{collection}/")
    before = page.locator("#photo-grid .photo-card").count()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inside-1.png", _png(11))
        z.writestr("inside-2.png", _png(12))
        z.writestr("notes.png", b"this is not an image")
    _drop(
        page,
        "#dropzone",
        [
            ("one.png", "image/png", _png(1)),
            ("two.png", "image/png", _png(2)),
            ("batch.zip", "application/zip", archive.getvalue()),
        ],
    )
    rows = page.locator(".upload-row")
    rows.nth(2).locator(".zip-report").wait_for()
    page.wait_for_function(f"document.querySelectorAll('#photo-grid .photo-card').length === {before + 4}")
    assert (
        page.locator(".upload-row", has_text="one.png").locator(".upload-status").inner_text() == "uploaded"
    )
    assert page.locator(".upload-row", has_text="one.png").locator("progress").get_attribute("value") == "100"
    page.screenshot(path=str(artifacts / "collection-upload.png"))
    report = page.locator(".upload-row", has_text="batch.zip").inner_text()
    assert "inside-1.png: uploaded" in report and "notes.png" in report and "1 file not added" in report


def test_a_non_image_upload_shows_a_readable_error_and_the_grid_is_unchanged(sign_in, ui_server):
    collection = ui_server.seed["collection"]
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{collection}/")
    cards = page.locator("#photo-grid .photo-card")
    before = sorted(cards.evaluate_all("els => els.map(e => e.dataset.photo)"))
    rows_before = len(ui_server.values("archive.Photo", "pk"))
    page.get_by_label("Choose photos to upload").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 not an image"}]
    )
    status = page.locator(".upload-row.failed .upload-status")
    status.wait_for()
    message = status.inner_text()
    assert message.startswith("letter.pdf:") and (
        "JPEG" in message or "format" in message or "image" in message
    )
    assert status.get_attribute("role") == "alert"
    page.wait_for_timeout(300)
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.photo)")) == before
    assert len(ui_server.values("archive.Photo", "pk")) == rows_before


def test_a_curator_edits_metadata_in_the_dialog(sign_in, ui_server):
    collection = ui_server.seed["collection"]
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{collection}/")
    page.get_by_role("button", name="Edit metadata of Portrait of a teacher").click()
    dialog = page.get_by_role("dialog", name="Edit metadata")
    dialog.get_by_label("Photographer").fill("Kim Han-yong")
    dialog.get_by_label("Date (display)").fill("c. 1946")
    dialog.get_by_label("Era", exact=True).select_option("liberation")
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden")
    page.locator(".photo-card", has_text="Portrait of a teacher").locator(
        ".date", has_text="c. 1946"
    ).wait_for()
    row = ui_server.values("archive.Photo", "creator", "date_display", pk=ui_server.seed["photos"]["second"])
    assert row == [("Kim Han-yong", "c. 1946")]
    # a bad date is refused with the server's message, and nothing changes
    page.get_by_role("button", name="Edit metadata of Portrait of a teacher").click()
    dialog.get_by_label("Date from").fill("1950-01-01")
    dialog.get_by_label("Date to").fill("1940-01-01")
    dialog.get_by_role("button", name="Save").click()
    error = dialog.locator("#metadata-error")
    error.wait_for()
    assert error.inner_text()
    dialog.get_by_role("button", name="Cancel").click()


def test_a_duplicate_upload_is_refused_in_one_clear_sentence(sign_in, ui_server):
    """Issue 12, item 9: no "(same SHA-256) (file: duplicate of photo 9)"."""
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{ui_server.seed['collection']}/")
    chooser = page.get_by_label("Choose photos to upload")
    chooser.set_input_files(files=[{"name": "twice.png", "mimeType": "image/png", "buffer": _png(77)}])
    page.locator(".upload-row", has_text="twice.png").locator(
        ".upload-status", has_text="uploaded"
    ).wait_for()
    chooser.set_input_files(files=[{"name": "again.png", "mimeType": "image/png", "buffer": _png(77)}])
    status = page.locator(".upload-row.failed", has_text="again.png").locator(".upload-status")
    status.wait_for()
    message = status.inner_text()
    assert message.startswith("again.png: this file is already in the collection as photo"), message
    assert message.count("(") <= 1 and "duplicate of photo" not in message, message
