"""Issue 23, item 8: on a phone (390×844, touch) the collection's filters fold into one button, so the photos
start on the first screen; a tap opens them, a filter applies, and the button says how many are on."""

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, ui_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{ui_server.url}/login/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill(ui_server.password)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{ui_server.url}/")
    yield page
    context.close()
    assert errors == []


def _box(locator):
    box = locator.bounding_box()
    assert box is not None
    return box


def test_a_curator_on_a_phone_sees_photos_first_and_opens_the_filters_with_one_tap(phone, ui_server):
    collection = ui_server.seed["collection"]
    phone.goto(f"{ui_server.url}/collections/{collection}/")
    toggle = phone.get_by_role("button", name="Filters")
    toggle.wait_for()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not phone.locator("#facets").is_visible()
    first_card = phone.locator("#photo-grid .photo-card").first
    assert _box(first_card)["y"] < 844  # the photos start on the first screen
    button = _box(toggle)
    assert button["width"] >= 44 and button["height"] >= 44  # a target a thumb can hit

    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "true"
    facets = phone.locator("#facets")
    facets.get_by_label("Search", exact=True).wait_for()
    status = facets.get_by_role("navigation", name="Status").get_by_role("link").nth(1)
    link = _box(status)
    assert link["height"] >= 44
    status.tap()
    phone.wait_for_url("**status=*")
    toggle = phone.get_by_role("button", name="Filters")
    assert "(1 on)" in toggle.inner_text()
    assert not phone.locator("#facets").is_visible()  # folded again: the filtered photos come first


def test_on_a_wide_screen_the_filters_stay_open_and_no_button_shows(sign_in, ui_server):
    page = sign_in("curator")
    page.goto(f"{ui_server.url}/collections/{ui_server.seed['collection']}/")
    page.locator("#facets").get_by_label("Search", exact=True).wait_for()
    assert not page.locator("#filters-toggle").is_visible()
