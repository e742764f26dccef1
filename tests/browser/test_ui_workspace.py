"""The photo workspace in a real browser: live collaboration, hint tools, colour chooser, stale edits."""

import pytest

from tests.browser.conftest import canvas_point, open_workspace

pytestmark = pytest.mark.browser


HOLD = """() => { const room = window.findcolor.room; const handle = room.handle.bind(room);
  window.__held = [];
  room.handle = (f) => (f.request_id && room.pending.has(f.request_id) ? handle(f) : window.__held.push(f));
  window.__release = () => { room.handle = handle; window.__held.forEach(handle); }; }"""
RELEASE = "() => window.__release()"


def hint_ids(page):
    return page.locator("#hint-list .hint-item").evaluate_all("els => els.map(e => Number(e.dataset.hint))")


def hint_item(page, hint_id):
    return page.locator(f'#hint-list .hint-item[data-hint="{hint_id}"]')


def test_two_curators_see_each_others_hints_live_and_a_viewer_watches_without_tools(
    sign_in, ui_server, artifacts
):
    photo = ui_server.seed["photos"]["small"]
    alice = open_workspace(sign_in("curator"), ui_server, photo)
    bob = open_workspace(sign_in("curator2"), ui_server, photo)
    viewer = open_workspace(sign_in("viewer"), ui_server, photo)
    # presence: each sees the others' avatars
    for page in (alice, bob, viewer):
        for name in ("curator", "curator2", "viewer"):
            page.locator(f'#presence [data-user="{name}"]').wait_for()
    before = set(hint_ids(alice))

    # alice places a point hint with a colour typed into the plain colour input
    alice.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    alice.get_by_label("Hint colour as hex").fill("#2e7d32")
    alice.get_by_label("Hint colour as hex").press("Enter")
    x, y = canvas_point(alice, 0.30, 0.40)
    alice.mouse.click(x, y)
    bob.wait_for_function(  # how fast is bench/'s business (docs/ui.md): here, that it arrives on its own
        f"Array.from(window.findcolor.room.hints.values()).some(h => !{sorted(before)}.includes(h.id))"
    )
    (new_id,) = set(hint_ids(bob)) - before
    item = hint_item(bob, new_id)
    assert item.get_attribute("data-color") == "#2e7d32"
    assert "by curator" in item.inner_text() and "suggested" in item.inner_text()

    # bob drags it to a new place; alice sees the move
    bx, by = canvas_point(bob, 0.30, 0.40)
    tx, ty = canvas_point(bob, 0.55, 0.60)
    bob.mouse.move(bx, by)
    bob.mouse.down()
    bob.mouse.move((bx + tx) / 2, (by + ty) / 2, steps=4)
    bob.mouse.move(tx, ty, steps=4)
    bob.mouse.up()
    alice.wait_for_function(
        f"(() => {{ const h = window.findcolor.room.hints.get({new_id}); return h && h.revision === 2; }})()"
    )
    moved = alice.evaluate(f"window.findcolor.room.hints.get({new_id})")
    assert abs(moved["x"] - 0.55) < 0.01 and abs(moved["y"] - 0.60) < 0.01

    # bob brushes a stroke with the brush tool (keyboard shortcut B)
    bob.locator("#canvas").focus()
    bob.keyboard.press("b")
    assert bob.get_by_role("button", name="Brush stroke hints (B)").get_attribute("aria-pressed") == "true"
    sx, sy = canvas_point(bob, 0.70, 0.20)
    ex, ey = canvas_point(bob, 0.85, 0.30)
    bob.mouse.move(sx, sy)
    bob.mouse.down()
    bob.mouse.move(ex, ey, steps=8)
    bob.mouse.up()
    alice.locator("#hint-list .hint-item", has_text="stroke").wait_for()

    # the viewer sees both hints, but has no hint tools and cannot place one
    viewer.locator("#hint-list .hint-item", has_text="stroke").wait_for()
    hint_item(viewer, new_id).wait_for()
    assert viewer.get_by_role("button", name="Place point hints (P)").count() == 0
    assert viewer.get_by_role("button", name="Brush stroke hints (B)").count() == 0
    assert viewer.get_by_role("button", name=f"Delete hint {new_id}").count() == 0
    count = len(hint_ids(viewer))
    vx, vy = canvas_point(viewer, 0.1, 0.1)
    viewer.mouse.click(vx, vy)
    viewer.wait_for_timeout(300)
    assert len(hint_ids(viewer)) == count == len(hint_ids(alice))

    # cursors: alice sees bob's cursor label
    bob.mouse.move(*canvas_point(bob, 0.5, 0.5))
    bob.mouse.move(*canvas_point(bob, 0.52, 0.5))
    alice.wait_for_function("window.findcolor.viewer.cursors.size > 0")
    alice.screenshot(path=str(artifacts / "workspace-hints.png"))
    viewer.screenshot(path=str(artifacts / "workspace-viewer.png"))


def test_delete_and_undo_with_the_keyboard(sign_in, ui_server):
    page = open_workspace(sign_in("curator"), ui_server, ui_server.seed["photos"]["small"])
    before = set(hint_ids(page))
    page.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    page.mouse.click(*canvas_point(page, 0.12, 0.85))
    page.wait_for_function(f"window.findcolor.room.hints.size === {len(before) + 1}")
    (hint_id,) = set(hint_ids(page)) - before
    assert hint_item(page, hint_id).get_attribute("aria-current") == "true"  # a new hint is selected
    page.locator("#canvas").focus()
    page.keyboard.press("Delete")
    page.wait_for_function(f"!window.findcolor.room.hints.has({hint_id})")
    page.keyboard.press("Control+z")
    page.wait_for_function(f"window.findcolor.room.hints.has({hint_id})")
    hint_item(page, hint_id).wait_for()
    page.get_by_role("button", name=f"Delete hint {hint_id}").click()
    page.wait_for_function(f"!window.findcolor.room.hints.has({hint_id})")
    deleted = ui_server.values("colorize.Hint", "pk", pk=hint_id, deleted_at__isnull=False)
    assert deleted == [(hint_id,)]  # soft delete: the row stays


def test_a_new_hint_takes_the_colour_chosen_for_it_and_recolouring_is_an_explicit_undoable_act(
    sign_in, ui_server
):
    """Issue 12, item 1: choosing the next colour never silently recolours the hint placed before."""
    page = open_workspace(sign_in("curator"), ui_server, ui_server.seed["photos"]["small"])
    hex_field = page.get_by_label("Hint colour as hex")
    hex_field.fill("#d2691e")
    hex_field.press("Enter")
    before = set(hint_ids(page))
    page.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    page.mouse.click(*canvas_point(page, 0.2, 0.2))
    page.wait_for_function(f"window.findcolor.room.hints.size === {len(before) + 1}")
    (first,) = set(hint_ids(page)) - before
    assert hint_item(page, first).get_attribute("aria-current") == "true"  # still selected
    # the curator types the next colour and places the next hint elsewhere
    hex_field.fill("#2e7d32")
    hex_field.press("Enter")
    page.mouse.click(*canvas_point(page, 0.7, 0.7))
    page.wait_for_function(f"window.findcolor.room.hints.size === {len(before) + 2}")
    (second,) = set(hint_ids(page)) - before - {first}
    assert hint_item(page, first).get_attribute("data-color") == "#d2691e"
    assert hint_item(page, second).get_attribute("data-color") == "#2e7d32"
    assert ui_server.values("colorize.Hint", "color", "revision", pk=first) == [("#d2691e", 1)]

    # recolouring: select the first hint, pick a colour on the ab plane, press the visible button
    page.get_by_role("button", name=f"#{first} point #d2691e").click()
    plane = page.get_by_label("ab colour plane at the clicked point's lightness", exact=False)
    box = plane.bounding_box()
    plane.click(position={"x": box["width"] * 0.5 + 12, "y": box["height"] * 0.5 - 12})  # a > 0, b > 0
    chosen = page.get_by_label("Hint colour as hex").input_value()
    assert hint_item(page, first).get_attribute("data-color") == "#d2691e"  # nothing changed by choosing
    recolour = page.get_by_role("button", name=f"Recolour hint #{first} to {chosen}")
    recolour.click()
    page.wait_for_function(f"window.findcolor.room.hints.get({first}).color === '{chosen}'")
    r, g, b = (int(chosen[i : i + 2], 16) for i in (1, 3, 5))
    assert r > b  # a warm colour from the upper-right quadrant of the ab plane
    assert page.locator("#recent button").first.get_attribute("aria-label").endswith(chosen)
    # the page's CIELAB agrees with the server's (the ab plane shows the colours the model is given)
    server_lab = page.evaluate(f"window.findcolor.room.hints.get({first}).lab")
    page_lab = page.evaluate(
        f"import('/static/frontend/js/color.js').then(c => c.rgbToLab(c.hexToRgb('{chosen}')))"
    )
    assert all(abs(a - b) < 0.5 for a, b in zip(server_lab, page_lab, strict=True)), (server_lab, page_lab)
    # undoable
    page.locator("#canvas").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function(f"window.findcolor.room.hints.get({first}).color === '#d2691e'")


def test_a_stale_edit_shows_the_current_state_not_a_silent_overwrite(sign_in, ui_server):
    photo = ui_server.seed["photos"]["small"]
    alice = open_workspace(sign_in("curator"), ui_server, photo)
    bob = open_workspace(sign_in("curator2"), ui_server, photo)
    before = set(hint_ids(alice))
    alice.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    alice.mouse.click(*canvas_point(alice, 0.4, 0.8))
    alice.wait_for_function(f"window.findcolor.room.hints.size === {len(before) + 1}")
    (hint_id,) = set(hint_ids(alice)) - before
    bob.wait_for_function(f"window.findcolor.room.hints.has({hint_id})")
    # alice's network is slow: she does not see bob's change before she makes her own (the test holds
    # back the broadcasts her room receives; answers to her own requests still arrive)
    alice.evaluate(HOLD)
    bob.evaluate(f"window.findcolor.room.update({hint_id}, {{color: '#1e3a8a'}})")
    bob.wait_for_function(f"window.findcolor.room.hints.get({hint_id}).color === '#1e3a8a'")
    # alice (still at revision 1) picks a recent colour for the selected hint
    assert alice.evaluate(f"window.findcolor.room.hints.get({hint_id}).revision") == 1
    alice.get_by_label("Hint colour as hex").fill("#ffcc00")
    alice.get_by_label("Hint colour as hex").press("Enter")
    alice.get_by_role("button", name=f"Recolour hint #{hint_id} to #ffcc00").click()
    toast = alice.locator("#toast")
    toast.wait_for()
    assert "someone else changed this hint" in toast.inner_text()
    alice.wait_for_function(f"window.findcolor.room.hints.get({hint_id}).color === '#1e3a8a'")
    assert hint_item(alice, hint_id).get_attribute("data-color") == "#1e3a8a"
    alice.evaluate(RELEASE)
    assert ui_server.values("colorize.Hint", "color", "revision", pk=hint_id) == [("#1e3a8a", 2)]


def test_a_reviewer_verifies_a_hint_with_evidence_and_curators_see_who_and_when(
    sign_in, ui_server, artifacts
):
    photo = ui_server.seed["photos"]["second"]
    curator = open_workspace(sign_in("curator"), ui_server, photo)
    reviewer = open_workspace(sign_in("reviewer"), ui_server, photo)
    curator.locator("#quick-place").click()  # place at once in the current colour (no suggestions first)
    curator.mouse.click(*canvas_point(curator, 0.5, 0.5))
    curator.wait_for_function("window.findcolor.room.hints.size === 1")
    hint_id = hint_ids(curator)[0]
    # curators may not verify: the button is a reviewer's
    assert curator.get_by_role("button", name=f"Verify hint {hint_id}").count() == 0
    # the model's suggestions at the clicked point come with their likelihoods
    curator.locator("#suggestions .swatch-btn").first.wait_for(timeout=30000)
    assert curator.locator("#suggestions .swatch-btn").first.inner_text().endswith("%")

    reviewer.get_by_role("button", name=f"Verify hint {hint_id}").click()
    dialog = reviewer.get_by_role("dialog", name="Verify this hint's colour")
    dialog.get_by_role("button", name="Verify").click()
    assert "needs evidence" in dialog.get_by_role("alert").inner_text()
    dialog.get_by_label("Evidence note").fill("Teacher's jacket: navy wool, per the 1946 school album.")
    dialog.get_by_label("Source (citation)").fill("Seoul school album, 1946, p. 12")
    dialog.get_by_role("button", name="Verify").click()
    dialog.wait_for(state="hidden")
    item = hint_item(curator, hint_id)
    item.locator(".badge.verified").wait_for()
    text = item.inner_text()
    assert "verified by reviewer" in text and "navy wool" in text and "school album" in text
    curator.screenshot(path=str(artifacts / "workspace-verified.png"))


def test_guidance_saves_era_and_situation_for_the_next_render(sign_in, ui_server):
    photo = ui_server.seed["photos"]["second"]
    page = open_workspace(sign_in("curator"), ui_server, photo)
    page.get_by_role("tab", name="Guidance").click()
    page.locator("#panel-guidance").get_by_label("Era", exact=True).select_option("korean-war")
    page.get_by_role("checkbox", name="Protest").check()
    page.get_by_role("button", name="Save era and situation").click()
    page.get_by_text("Saved: the next preview and render use this context.").wait_for()
    assert ui_server.values("archive.Photo", "era__slug", pk=photo) == [("korean-war",)]
    situations = ui_server.values(
        "archive.Photo", "situations__slug", pk=photo, order_by=["situations__slug"]
    )
    assert ("protest",) in situations


def test_a_reference_colour_photo_is_uploaded_kept_for_the_era_and_picked(sign_in, ui_server):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 60, 140)).save(buffer, format="PNG")
    page = open_workspace(sign_in("curator"), ui_server, ui_server.seed["photos"]["small"])  # era: liberation
    page.get_by_role("tab", name="Guidance").click()
    page.get_by_label("Upload a reference colour photo").set_input_files(
        files=[{"name": "uniform.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    page.get_by_role("img", name="Reference photo uniform.png").wait_for()
    page.get_by_label("Source of the reference photo").fill("National Archives, colour slide 1945")
    page.get_by_role("button", name="Keep it as a reference for this era and situation").click()
    page.get_by_role("radio", name="uniform.png (liberation, street)").wait_for()
    assert page.get_by_role("radio", name="uniform.png (liberation, street)").is_checked()
    rows = ui_server.values("colorize.ReferencePhoto", "source", "era__slug", era__isnull=False)
    assert ("National Archives, colour slide 1945", "liberation") in rows


def test_hints_can_be_placed_from_the_keyboard(sign_in, ui_server):
    page = open_workspace(sign_in("curator"), ui_server, ui_server.seed["photos"]["second"])
    before = page.evaluate("window.findcolor.room.hints.size")
    page.locator("#canvas").focus()
    page.keyboard.press("p")
    for key in ["ArrowRight", "ArrowRight", "Shift+ArrowDown"]:
        page.keyboard.press(key)
    page.keyboard.press("Enter")  # the point waits for its colour: the chooser has the focus
    page.get_by_role("dialog", name="Colour of this hint").wait_for()
    assert page.evaluate("document.activeElement.id") == "place-current"
    assert page.evaluate("window.findcolor.room.hints.size") == before
    page.keyboard.press("Enter")  # "use my colour"
    page.wait_for_function(f"window.findcolor.room.hints.size === {before + 1}")
    placed = page.evaluate("Array.from(window.findcolor.room.hints.values()).sort((a, b) => b.id - a.id)[0]")
    assert abs(placed["x"] - 0.52) < 1e-6 and abs(placed["y"] - 0.55) < 1e-6


def test_a_dropped_connection_reconnects_and_catches_up(sign_in, ui_server):
    photo = ui_server.seed["photos"]["second"]
    alice = open_workspace(sign_in("curator"), ui_server, photo)
    bob = open_workspace(sign_in("curator2"), ui_server, photo)
    alice.evaluate("window.findcolor.room.ws.close()")  # the network drops (not a sign-out: it reconnects)
    alice.locator("#conn", has_text="reconnecting").wait_for()
    hint_id = bob.evaluate(
        "window.findcolor.room.add({x: 0.3, y: 0.3, color: '#654321'}).then(a => a.hint.id)"
    )
    alice.locator("#conn", has_text="live").wait_for()
    assert "since=" in alice.evaluate("window.findcolor.room.url()")
    alice.wait_for_function(f"window.findcolor.room.hints.has({hint_id})")
    hint_item(alice, hint_id).wait_for()
