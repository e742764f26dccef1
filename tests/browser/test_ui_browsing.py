"""Issue 12, item 5: facets that count what a click shows, sorting by date (approximate dates placed, undated
last), thumbnails that appear without a reload, batch metadata edit, metadata from the workspace. (The
published restoration as the grid thumbnail is checked in test_ui_public, where a version is approved.)"""

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_workspace
from tests.browser.helpers import upload_photo
from tests.browser.test_ui_public import call

pytestmark = pytest.mark.browser


def _image(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (60, 80), dtype=np.uint8), "L")


def _grid_count(page) -> int:
    return page.locator("#photo-grid .photo-card").count()


def test_facet_counts_follow_the_filters_already_chosen(sign_in, ui_server):
    owner = sign_in("owner")
    mine = call(owner, "POST", "/api/collections/", {"title": "Facets", "visibility": "private"})
    for i, meta in enumerate(
        [
            {"era": "liberation", "situations": ["street"]},
            {"era": "liberation", "situations": ["street", "protest"]},
            {"era": "korean-war", "situations": ["portrait"]},
        ]
    ):
        photo = upload_photo(
            owner, ui_server, _image(300 + i), f"f{i}.png", f"Facet {i}", collection=mine["id"]
        )
        call(owner, "PATCH", f"/api/photos/{photo['id']}/", meta)
    owner.goto(f"{ui_server.url}/collections/{mine['id']}/?era=liberation")
    offered = owner.locator('nav[aria-label="Situation"] li a:has(.n)')
    links = {a.get_attribute("href"): int(a.locator(".n").inner_text()) for a in offered.all()}
    assert not any("portrait" in href for href in links)  # no liberation photo is a portrait
    assert sorted(links.values()) == [1, 2]
    for href, n in links.items():
        owner.goto(f"{ui_server.url}/collections/{mine['id']}/{href}")
        assert _grid_count(owner) == n, href


def test_sorting_by_date_places_approximate_dates_and_puts_undated_photos_last(sign_in, ui_server):
    owner = sign_in("owner")
    mine = call(owner, "POST", "/api/collections/", {"title": "Dates", "visibility": "private"})
    ids = {}
    for i, (title, meta) in enumerate(
        [
            ("Undated", {}),
            ("May 1950", {"date_from": "1950-05-01", "date_to": "1950-05-01"}),
            ("About 1947", {"date_display": "c. 1947"}),
            ("1948", {"date_from": "1948"}),
        ]
    ):
        photo = upload_photo(owner, ui_server, _image(100 + i), f"d{i}.png", title, collection=mine["id"])
        if meta:
            call(owner, "PATCH", f"/api/photos/{photo['id']}/", meta)
        ids[title] = photo["id"]
    owner.goto(f"{ui_server.url}/collections/{mine['id']}/?sort=date")
    titles = [t.strip() for t in owner.locator("#photo-grid .title").all_inner_texts()]
    assert titles == ["About 1947", "1948", "May 1950", "Undated"]


def test_a_thumbnail_appears_without_a_reload_when_its_derivatives_are_made(sign_in, ui_server):
    owner = sign_in("owner")
    mine = call(owner, "POST", "/api/collections/", {"title": "Slow scans", "visibility": "private"})
    photo = upload_photo(owner, ui_server, _image(7), "slow.png", "Slow scan", collection=mine["id"])
    owner.evaluate(  # the derivative job of the upload is done (the page asks until it is)
        """async (id) => { for (;;) { const p = await (await fetch(`/api/photos/${id}/`)).json();
            if (p.urls.thumbnail) return; await new Promise((r) => setTimeout(r, 200)); } }""",
        photo["id"],
    )
    # as if the derivative job had not run yet
    (thumbnail,) = ui_server.values("archive.Photo", "thumbnail", pk=photo["id"])[0]
    ui_server.update("archive.Photo", {"pk": photo["id"]}, thumbnail="", derivatives_status="pending")
    owner.goto(f"{ui_server.url}/collections/{mine['id']}/")
    card = owner.locator(f'.photo-card[data-photo="{photo["id"]}"]')
    card.get_by_text("preparing…").wait_for()
    # the job finishes
    ui_server.update("archive.Photo", {"pk": photo["id"]}, thumbnail=thumbnail, derivatives_status="done")
    card.locator("img").wait_for()
    assert card.get_by_text("preparing…").count() == 0


def test_a_curator_edits_many_photos_at_once_and_one_from_the_workspace(sign_in, ui_server):
    owner = sign_in("owner")
    mine = call(owner, "POST", "/api/collections/", {"title": "Batch", "visibility": "private"})
    call(owner, "POST", f"/api/collections/{mine['id']}/members/", {"username": "curator", "role": "curator"})
    photos = [
        upload_photo(owner, ui_server, _image(200 + i), f"b{i}.png", f"Batch {i}", collection=mine["id"])[
            "id"
        ]
        for i in range(3)
    ]
    curator = sign_in("curator")
    curator.goto(f"{ui_server.url}/collections/{mine['id']}/")
    curator.get_by_label("Select Batch 0").check()
    curator.get_by_label("Select Batch 2").check()
    curator.get_by_text("2 photos selected").wait_for()
    curator.get_by_role("button", name="Edit selected").click()
    dialog = curator.get_by_role("dialog", name="Edit 2 photos")
    dialog.get_by_label("Era", exact=True).select_option("korean-war")
    dialog.get_by_label("Place", exact=True).fill("Busan")
    dialog.get_by_label("Rights", exact=True).fill("CC BY 4.0")
    dialog.get_by_label("replace the situations with:").check()
    dialog.get_by_role("checkbox", name="Street").check()
    dialog.get_by_role("button", name="Apply to the selected photos").click()
    dialog.wait_for(state="hidden")
    rows = ui_server.values(
        "archive.Photo", "pk", "place", "rights", "era__slug", collection_id=mine["id"], order_by=["pk"]
    )
    assert rows == [
        (photos[0], "Busan", "CC BY 4.0", "korean-war"),
        (photos[1], "", "", None),
        (photos[2], "Busan", "CC BY 4.0", "korean-war"),
    ]
    situations = ui_server.values(
        "archive.Photo", "pk", "situations__slug", pk__in=photos, situations__isnull=False, order_by=["pk"]
    )
    assert situations == [(photos[0], "street"), (photos[2], "street")]
    (details,) = ui_server.values(
        "archive.AuditEntry", "details", action="photos.batch_metadata", collection_id=mine["id"]
    )[0]
    assert details["photos"] == [photos[0], photos[2]]

    # a bad date in the batch: refused in the dialog, nothing changes
    # the grid refreshes after the edit (its cards show the new era): then a new selection
    curator.locator(".photo-card", has_text="Batch 0").get_by_text("Korean War").wait_for()
    for i in range(3):
        curator.get_by_label(f"Select Batch {i}").check()
    curator.get_by_text("3 photos selected").wait_for()
    curator.get_by_role("button", name="Edit selected").click()
    dialog = curator.get_by_role("dialog", name="Edit 3 photos")
    dialog.get_by_label("Date from", exact=True).fill("1950-01-01")
    dialog.get_by_label("Date to", exact=True).fill("1940-01-01")
    dialog.get_by_role("button", name="Apply to the selected photos").click()
    assert "date" in dialog.get_by_role("alert").inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert ui_server.values("archive.Photo", "pk", date_from__isnull=False, collection_id=mine["id"]) == []

    # the workspace edits the photo's own record
    page = open_workspace(curator, ui_server, photos[1])
    page.get_by_role("button", name="Edit metadata").click()
    meta = page.get_by_role("dialog", name="Edit metadata")
    meta.get_by_label("Title", exact=True).fill("Harbour cranes")
    meta.get_by_label("Place", exact=True).fill("Incheon")
    meta.get_by_role("button", name="Save").click()
    meta.wait_for(state="hidden")
    page.get_by_role("heading", name="Harbour cranes").wait_for()
    assert ui_server.values("archive.Photo", "title", "place", pk=photos[1]) == [
        ("Harbour cranes", "Incheon")
    ]
