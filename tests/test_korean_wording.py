"""Natural Korean (issue 23, item 7): the sort menu names each order once; a request made a moment ago says
"방금 요청", not "0분 전에 요청"; versions are "N번 버전", not "N번째 버전"."""

import re
from pathlib import Path

import pytest

from colorize.services import review as review_services
from tests.i18n_check import visible_text
from tests.test_run_support import make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]
LOCALE = Path(__file__).resolve().parent.parent / "locale" / "ko" / "LC_MESSAGES"


def korean(client):
    client.cookies["django_language"] = "ko"
    return client


def sort_labels(html: str) -> list[str]:
    menu = re.search(r'<select[^>]*name="sort".*?</select>', html, re.S).group(0)
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", menu)]


@pytest.mark.parametrize("q", ["", "서울"])
def test_a_korean_curator_finds_each_sort_order_once(people, client_for, q):
    html = korean(client_for(people.curator)).get(f"/collections/{people.collection.pk}/", {"q": q}).content
    labels = sort_labels(html.decode())
    assert len(labels) == len(set(labels))
    assert len(labels) == (6 if q else 5)  # best match (when searching), newest, oldest, title, date, status
    assert labels[0] == ("관련도순" if q else "최신순")


def test_a_korean_reviewer_reads_that_a_version_was_just_submitted(people, client_for):
    photo = make_photo(people.collection, people.curator, title="Gate")
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    text = " ".join(visible_text(korean(client_for(people.reviewer)).get("/review/").content.decode()))
    assert "방금 요청" in text
    assert "0분" not in text and "전에 요청" not in text


def test_no_korean_message_counts_versions_as_ordinals():
    for catalogue in ("django.po", "djangojs.po"):
        assert "번째 버전" not in (LOCALE / catalogue).read_text(encoding="utf-8")
