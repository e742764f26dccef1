"""Issue 22, items 4 and 5 in the collection page: the owner exports the collection as BagIt and downloads the
bag; a refused IIIF manifest address is explained in the dialog, not lost."""

import io
import zipfile

import pytest

pytestmark = pytest.mark.browser


def test_an_owner_exports_the_collection_as_bagit_from_the_collection_page(sign_in, ui_server):
    page = sign_in("owner")
    page.goto(f"{ui_server.url}/collections/{ui_server.seed['collection']}/")
    page.get_by_role("button", name="Export as BagIt").click()
    dialog = page.get_by_role("dialog", name="Export as BagIt")
    dialog.get_by_role("button", name="Start the export").click()
    link = dialog.get_by_role("link", name="Download the bag")
    link.wait_for(timeout=120_000)
    assert "Done" in dialog.locator("#bagit-export-status").inner_text()
    with page.expect_download() as download:
        link.click()
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:  # noqa: SIM115
        names = archive.namelist()
    assert any(n.endswith("/bagit.txt") for n in names)
    assert any("/data/originals/" in n for n in names)


def test_a_curator_is_told_why_a_private_address_cannot_be_imported(sign_in, ui_server):
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{ui_server.seed['collection']}/")
    assert page.get_by_role("button", name="Export as BagIt").count() == 0  # reviewers and owners only
    page.get_by_role("button", name="Import from IIIF").click()
    dialog = page.get_by_role("dialog", name="Import from IIIF")
    dialog.get_by_label("Manifest URL").fill("http://169.254.169.254/latest/meta-data/manifest.json")
    dialog.get_by_role("button", name="Import", exact=True).click()
    error = dialog.get_by_role("alert")
    error.wait_for()
    assert "169.254.169.254" in error.inner_text() and "link-local" in error.inner_text()
