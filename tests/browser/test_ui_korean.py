"""The whole interface in Korean, in Chromium after the JavaScript ran: a Korean browser (Accept-Language ko)
gets Korean without choosing, every page's visible text, labels and tooltips carry no English apart from data
and proper names, and the switcher changes the language and remembers it."""

import pytest

from tests.i18n_check import english_leftovers

pytestmark = pytest.mark.browser

# The seeded data (tests/browser/seed.py) and what other tests may add to the shared server: not interface text.
DATA = {
    "Liberation 1945",
    "Seoul, 1945",
    "Street in Seoul",
    "Portrait of a teacher",
    "Ceremony, 12 MP scan",
    "Seoul",
    "c. 1945",
    "curator2",
    "curator",
    "reviewer",
    "viewer",
    "owner",
    "CU",  # avatars show a user's initials
    "RE",
    "OW",
    "VI",
}
# What a person reads or hears: the rendered text, plus labels, tooltips, placeholders and alt texts.
READ = """() => {
  const texts = [document.body.innerText, document.title];
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value) texts.push(value);
    }
  }
  return texts;
}"""


def stored_data(ui_server) -> set[str]:
    """Collections, photos and people that other tests added to the shared server: data, not interface text."""
    rows = (
        ui_server.values("archive.Collection", "title")
        + ui_server.values("archive.Photo", "title")
        + ui_server.values("auth.User", "username")
    )
    return {value for (value,) in rows if value}


def leftovers(page, ui_server) -> list[str]:
    texts = page.evaluate(READ)
    return english_leftovers(texts, DATA | stored_data(ui_server))


@pytest.fixture
def korean_curator(browser, ui_server):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15000)
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{ui_server.url}/login/")
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.get_by_label("사용자 이름").fill("curator")
    page.get_by_label("비밀번호").fill(ui_server.password)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{ui_server.url}/")
    yield page
    context.close()
    assert not errors, errors


def test_a_korean_curator_reads_every_page_in_korean(korean_curator, ui_server):
    page = korean_curator
    seed = ui_server.seed
    assert leftovers(page, ui_server) == [], "home"
    page.get_by_role("heading", name="컬렉션").wait_for()

    page.goto(f"{ui_server.url}/collections/{seed['collection']}/")
    page.wait_for_selector(".photo-card")
    assert leftovers(page, ui_server) == [], "collection"
    page.get_by_role("navigation", name="시대").get_by_role("link", name="해방기").click()
    page.wait_for_url("**era=liberation**")
    assert leftovers(page, ui_server) == [], "collection filtered by an era"

    page.goto(f"{ui_server.url}/photos/{seed['photos']['small']}/")
    page.wait_for_selector("#workspace[data-state=ready]")
    page.wait_for_selector("#conn:has-text('연결됨')")
    assert leftovers(page, ui_server) == [], "workspace"
    page.get_by_role("tab", name="전체 지침").click()
    page.wait_for_selector("#g-era option[value=liberation]", state="attached")
    assert page.locator("#g-era option[value=liberation]").text_content() == "해방기"
    assert leftovers(page, ui_server) == [], "workspace guidance panel"
    page.get_by_role("tab", name="버전").click()
    assert leftovers(page, ui_server) == [], "workspace versions panel"

    page.goto(f"{ui_server.url}/review/")
    assert leftovers(page, ui_server) == [], "review queue"


def test_the_switcher_changes_the_language_and_remembers_it(korean_curator, ui_server):
    page = korean_curator
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.get_by_role("heading", name="Collections").wait_for()  # visible, once the new page has drawn it
    page.goto(f"{ui_server.url}/review/")  # the choice outlives the page, against the browser's Korean
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("heading", name="Review queue").wait_for()  # visible, once the new page has drawn it
    page.get_by_role("button", name="한국어").click()
    page.wait_for_function("document.documentElement.lang === 'ko'")
    assert page.url.endswith("/review/")
    page.get_by_role("heading", name="검토 대기열").wait_for()  # visible, once the new page has drawn it
