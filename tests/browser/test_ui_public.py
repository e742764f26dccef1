"""Issue 12, items 7 and 8: the public face (a landing page, public collections and published restorations for
anonymous visitors) and the API docs served without the internet."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_the_api_docs_render_swagger_ui_with_nothing_from_the_internet(browser, ui_server):
    context = browser.new_context()
    page = context.new_page()
    outside = []

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), refuse)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{ui_server.url}/api/docs/")
        page.locator(".swagger-ui .info .title", has_text="Find Color API").wait_for()
        page.locator(".swagger-ui .opblock").first.wait_for()
        assert outside == [] and errors == []
    finally:
        context.close()


API = """async ([method, url, body]) => {
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const init = {method, headers: {'X-CSRFToken': csrf, 'Accept': 'application/json'}};
  if (body instanceof Array) { const f = new FormData(); body.forEach(([k, v]) => f.append(k, v)); init.body = f; }
  else if (body) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const r = await fetch(url, init); const text = await r.text();
  return [r.status, text ? JSON.parse(text) : null];
}"""


def call(page, method, url, body=None):
    status, data = page.evaluate(API, [method, url, body])
    assert status < 300, (method, url, status, data)
    return data


def test_an_anonymous_visitor_finds_public_collections_and_a_published_restoration_with_its_provenance(
    sign_in, ui_server, browser
):
    import numpy as np
    from PIL import Image

    from tests.browser.helpers import upload_photo

    yy, xx = np.mgrid[0:240, 0:320]
    market = Image.fromarray(((xx * 0.5 + yy * 0.3) % 256).astype(np.uint8), "L")

    owner = sign_in("owner")
    public = call(owner, "POST", "/api/collections/", {"title": "Open archive", "visibility": "public"})
    call(
        owner,
        "POST",
        f"/api/collections/{public['id']}/members/",
        {"username": "reviewer", "role": "reviewer"},
    )
    photo = upload_photo(owner, ui_server, market, "market.png", "Market day", collection=public["id"])
    owner.goto(f"{ui_server.url}/photos/{photo['id']}/")
    owner.wait_for_selector("#workspace[data-state=ready]")
    render = owner.get_by_role("button", name="Render full resolution")
    render.click()  # the render's own room events end it: done, and the new version shown
    owner.wait_for_selector("#workspace[data-run=done][data-version]", timeout=240_000)
    version = int(owner.evaluate("document.getElementById('workspace').dataset.version"))
    call(owner, "POST", f"/api/versions/{version}/submit/", {})
    reviewer = sign_in("reviewer")
    call(
        reviewer,
        "POST",
        f"/api/versions/{version}/approve/",
        {"comment": "Checked against the 1952 market survey"},
    )
    # a draft after the approval: visitors never see it
    owner.reload()
    owner.wait_for_selector("#workspace[data-state=ready]")
    render.click()
    owner.wait_for_selector(f"#workspace[data-run=done]:not([data-version='{version}'])", timeout=240_000)

    # item 5: in the grid, the approved photo shows its published restoration; a toggle shows the original
    owner.goto(f"{ui_server.url}/collections/{public['id']}/")
    thumb = owner.locator(f'.photo-card[data-photo="{photo["id"]}"] img')
    assert thumb.get_attribute("alt") == "Market day, published restoration"
    published_src = thumb.get_attribute("src")
    owner.get_by_label("Show the original scans instead of published restorations").check()
    owner.wait_for_function(
        f"!document.querySelector('.photo-card[data-photo=\"{photo['id']}\"] img').src.endsWith('{published_src}')"
    )
    assert "/derivatives/" in thumb.get_attribute("src")

    context = browser.new_context(bypass_csp=True)
    visitor = context.new_page()
    errors = []
    visitor.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        visitor.goto(f"{ui_server.url}/")
        assert "colourise" in visitor.locator(".landing-intro").inner_text()
        visitor.get_by_role("link", name="Open collection Open archive", exact=True).wait_for()
        assert visitor.get_by_role("link", name="Open collection Liberation 1945").count() == 0  # private
        card = visitor.locator(f'.published-card[data-photo="{photo["id"]}"]')
        card.get_by_role("img", name="Market day, restored in colour").wait_for()
        card.get_by_role("img", name="Market day, the original").wait_for()
        card.get_by_role("link").click()
        # the public page: the restoration labelled AI-colorized, its provenance and the photo's fields
        visitor.locator(".published-photo .ai-label", has_text="AI-colorized").wait_for()
        assert (
            visitor.locator(".published-photo img").first.get_attribute("alt")
            == "Market day, restored in colour"
        )
        visitor.get_by_role("link", name="Open in the viewer").click()
        visitor.wait_for_selector("#workspace[data-state=ready]")
        visitor.wait_for_function(f"document.getElementById('layer').value === 'v{version}'")
        versions = visitor.locator("#version-list .version-item")
        versions.first.wait_for()
        assert versions.count() == 1  # the published one; not the draft
        text = versions.first.inner_text()
        assert "published" in text and "1952 market survey" in text and "by owner" in text
        assert "not allowed" not in visitor.locator("#conn").inner_text()
        assert not visitor.locator("#tab-hints").is_visible()
        assert errors == []
    finally:
        context.close()
