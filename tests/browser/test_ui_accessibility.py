"""Issue 23, item 9: axe-core finds no violation, of any impact, on any page: signed out and signed in, in
English and in Korean."""

import numpy as np
import pytest
from PIL import Image

from tests.browser.axe import INSTALL, axe_available, axe_violations
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser

API = """async ([method, url, body]) => {
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const init = {method, headers: {'X-CSRFToken': csrf, 'Accept': 'application/json'}};
  if (body) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const r = await fetch(url, init); const text = await r.text();
  try { return [r.status, text ? JSON.parse(text) : null]; } catch (e) { return [r.status, text.slice(0, 300)]; }
}"""


def call(page, method, url, body=None):
    status, data = page.evaluate(API, [method, url, body])
    assert status < 300, (method, url, status, data)
    return data


@pytest.fixture(scope="module")
def contexts(browser, ui_server):
    """Browser contexts by (who, language): who is None (signed out) or a seeded username."""
    if not axe_available():
        pytest.fail(f"axe-core is not installed: {INSTALL}")
    made = {}

    def get(who, language):
        if (who, language) not in made:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            context.set_default_timeout(20000)
            context.add_cookies([{"name": "django_language", "value": language, "url": ui_server.url}])
            if who:
                page = context.new_page()
                page.goto(f"{ui_server.url}/login/")
                page.locator("#id_username").fill(who)
                page.locator("#id_password").fill(ui_server.password)
                page.locator("main form button[type=submit]").click()
                page.wait_for_url(f"{ui_server.url}/")
                page.close()
            made[(who, language)] = context
        return made[(who, language)]

    yield get
    for context in made.values():
        context.close()


@pytest.fixture(scope="module")
def published(contexts, ui_server):
    """A public collection with a photo whose restoration is published: (collection id, photo id)."""
    owner = contexts("owner", "en").new_page()
    owner.goto(f"{ui_server.url}/")
    public = call(
        owner, "POST", "/api/collections/", {"title": "Open archive (a11y)", "visibility": "public"}
    )
    call(
        owner,
        "POST",
        f"/api/collections/{public['id']}/members/",
        {"username": "reviewer", "role": "reviewer"},
    )
    yy, xx = np.mgrid[0:96, 0:128]
    image = Image.fromarray(((xx * 1.3 + yy * 0.7) % 256).astype(np.uint8), "L")
    photo = upload_photo(owner, ui_server, image, "a11y.png", "Gate at dusk", collection=public["id"])
    run = call(owner, "POST", f"/api/photos/{photo['id']}/runs/", {})
    version = None
    for _ in range(600):  # the render's end: polled, at most about five minutes on a busy machine
        version = call(owner, "GET", f"/api/runs/{run['id']}/")["version"]
        if version:
            break
        owner.wait_for_timeout(500)
    assert version, "the render did not finish"
    call(owner, "POST", f"/api/versions/{version}/submit/", {})
    reviewer = contexts("reviewer", "en").new_page()
    reviewer.goto(f"{ui_server.url}/")
    call(reviewer, "POST", f"/api/versions/{version}/approve/", {"comment": "ok"})
    owner.close()
    reviewer.close()
    return public["id"], photo["id"]


# (name, who, path): who None is signed out; {collection}/{photo} are the seeded private ones, {public} and
# {published} the public collection and its published photo.
PAGES = [
    ("landing", None, "/"),
    ("login", None, "/login/"),
    ("public collection", None, "/collections/{public}/"),
    ("published photo", None, "/photos/{published}/published/"),
    ("workspace", None, "/photos/{published}/"),
    ("home", "owner", "/"),
    ("collection", "owner", "/collections/{collection}/"),
    ("collection as curator", "curator", "/collections/{collection}/"),
    ("audit trail", "owner", "/collections/{collection}/audit/"),
    ("vocabularies", "archivist", "/vocabularies/"),
    ("vocabularies as reader", "curator", "/vocabularies/"),
    ("published photo", "owner", "/photos/{published}/published/"),
    ("workspace", "curator", "/photos/{photo}/"),
    ("review queue", "reviewer", "/review/"),
]


def _case(name, who, path, language):
    return pytest.param(name, who, path, language, id=f"{name}-{who or 'signed-out'}-{language}")


@pytest.mark.parametrize(
    "name,who,path,language", [_case(*page, language) for page in PAGES for language in ("en", "ko")]
)
def test_axe_finds_no_violation(name, who, path, language, contexts, published, ui_server):
    public, published_photo = published
    seed = ui_server.seed
    url = ui_server.url + path.format(
        public=public, published=published_photo, collection=seed["collection"], photo=seed["photos"]["small"]
    )
    page = contexts(who, language).new_page()
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == language
        assert axe_violations(page) == []
    finally:
        page.close()
