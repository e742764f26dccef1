"""Issue 23, item 9 for the workspace and the review queue: axe-core finds no violation there, for a curator
and a reviewer, in English and Korean.

axe-core runs through tests/browser/axe.py (npm, installed for the tests by `make test-sqlite`); without it the
test fails and names the install command.
"""

import numpy as np
import pytest
from PIL import Image

from tests.browser.axe import INSTALL, axe_available, axe_violations
from tests.browser.conftest import expose_state, open_workspace
from tests.browser.helpers import upload_photo

pytestmark = pytest.mark.browser


def violations(page) -> list[str]:
    return axe_violations(page)


def in_korean(page, ui_server):
    page.context.add_cookies([{"name": "django_language", "value": "ko", "url": ui_server.url}])


@pytest.fixture
def axe_ready():
    if not axe_available():
        pytest.fail(f"axe-core is not installed: {INSTALL}")


def rendered_and_submitted(curator, ui_server, language):
    """The curator's own photo with a hint and a version submitted for review (the queue then lists it)."""
    yy, xx = np.mgrid[0:240, 0:320]
    image = Image.fromarray(((xx + 3 * yy + ord(language[0])) % 200 + 30).astype(np.uint8), "L")
    photo = upload_photo(curator, ui_server, image, f"a11y-{language}.png", f"Accessibility {language}")["id"]
    open_workspace(curator, ui_server, photo)
    curator.evaluate(
        "window.findcolor.room.add({x: 0.4, y: 0.4, color: '#8b5a2b', radius: 0.03, shape: 'point'})"
    )
    curator.locator("#render").click()
    curator.wait_for_selector("#workspace[data-version]", timeout=90000)
    curator.locator("#version-list button[data-action=submit]").click()
    curator.locator("#version-list .badge.state-submitted").wait_for()
    return photo


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_workspace_and_the_review_queue_have_no_axe_violation(sign_in, ui_server, axe_ready, language):
    curator = sign_in("curator")
    if language == "ko":
        in_korean(curator, ui_server)
    photo = rendered_and_submitted(curator, ui_server, language)
    found = violations(curator)
    assert found == [], ("workspace, curator at rest", found)
    curator.locator("#ab-plane").focus()
    curator.keyboard.press("ArrowRight")  # the plane's value once moved
    curator.locator("#canvas").click()  # the suggest-then-place chooser open
    curator.locator("#place-pop").wait_for()
    curator.locator("#uncertainty").check()
    found = violations(curator)
    assert found == [], ("workspace, curator at work", found)

    reviewer = sign_in("reviewer")
    if language == "ko":
        in_korean(reviewer, ui_server)
    reviewer.goto(f"{ui_server.url}/review/")
    reviewer.locator(f'.review-item a[href*="/photos/{photo}/"]').wait_for()
    found = violations(reviewer)
    assert found == [], ("review queue", found)
    reviewer.locator(f'.review-item a[href*="/photos/{photo}/"]').click()
    reviewer.wait_for_selector("#workspace[data-state=ready]")
    reviewer.locator("#version-list .version-item").first.wait_for()
    expose_state(reviewer)
    reviewer.wait_for_function("window.findcolor.room.connected")
    reviewer.evaluate(  # a verified hint: its button reads "Edit evidence"
        "(() => { const [h] = window.findcolor.room.hints.values();"
        " return window.findcolor.room.verify(h.id, {evidence_note: 'Brown, per the caption.'}); })()"
    )
    reviewer.locator("#tab-hints").click()
    reviewer.locator("#hint-list .badge.verified").wait_for()
    found = violations(reviewer)
    assert found == [], ("workspace, reviewer", found)

    # the review dialog too; rejecting also leaves the shared queue as it was for the other tests
    reviewer.locator("#tab-versions").click()
    reviewer.locator("#version-list button[data-action=reject]").click()
    reviewer.locator("#review-dialog").wait_for()
    found = violations(reviewer)
    assert found == [], ("workspace, review dialog", found)
    reviewer.locator("#review-comment").fill("Checked for accessibility only.")
    reviewer.locator("#review-save").click()
    reviewer.locator("#version-list .badge.state-rejected").wait_for()
