"""Issue 23, item 5: staff add a Korean era on the vocabulary page: it gets a romanized slug, its years from
its name and the English name given beside it; a reviewer of one collection sees no edit form."""

import pytest

pytestmark = pytest.mark.browser


def test_staff_add_a_korean_era_with_its_years_and_an_english_name(sign_in, ui_server):
    page = sign_in("archivist")
    page.goto(f"{ui_server.url}/vocabularies/")
    page.get_by_label("New entry in Eras", exact=True).fill("한국전쟁기 (1950–1953)")
    page.get_by_label("English name of the new entry in Eras").fill("Korean War years")
    page.get_by_role("form", name="Add to Eras").get_by_role("button", name="Add").click()
    page.locator('li[data-slug="hangugjeonjaenggi-1950-1953"]').wait_for()
    row = ui_server.values(
        "archive.Era", "name_ko", "name_en", "year_from", "year_to", slug="hangugjeonjaenggi-1950-1953"
    )
    assert row == [("한국전쟁기 (1950–1953)", "Korean War years", 1950, 1953)]

    reviewer = sign_in("reviewer")
    reviewer.goto(f"{ui_server.url}/vocabularies/")
    assert reviewer.get_by_role("form", name="Add to Eras").count() == 0
