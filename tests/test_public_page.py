"""The public page of a published restoration (issue 23, item 6): the Dublin Core fields and rights, a visible
"AI-colorized" label on the image with its provenance, reviewers named only by their own choice, in Korean and
English; nothing to see before anything is published."""

import re

import pytest

from archive.models import Visibility
from colorize.services import review as review_services
from tests.i18n_check import english_leftovers, visible_text
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

FIELDS = {
    "title": "Market day",
    "date_display": "spring 1952",
    "place": "Namdaemun market",
    "creator": "Kim Han-yong",
    "source": "National Archives, box 12",
    "rights": "CC BY 4.0",
}


@pytest.fixture
def photo(people):
    people.collection.visibility = Visibility.PUBLIC
    people.collection.save()
    return make_photo(people.collection, people.curator, **FIELDS)


def publish(people, photo):
    add_hint(photo, people.curator, 0.5, 0.5, "#b22222", verified_by=people.reviewer, evidence_note="flag")
    add_hint(photo, people.curator, 0.2, 0.2, "#20a040", verified_by=people.reviewer, evidence_note="")
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    return version


def test_nothing_published_means_no_public_page(people, photo, client_for):
    assert client_for(None).get(f"/photos/{photo.pk}/published/").status_code == 404


def test_an_anonymous_visitor_reads_the_dublin_core_fields_and_an_ai_colorized_label(
    people, photo, client_for
):
    version = publish(people, photo)
    response = client_for(None).get(f"/photos/{photo.pk}/published/")
    assert response.status_code == 200
    html = response.content.decode()
    for value in FIELDS.values():
        assert value in html
    label = re.search(r'<span class="ai-label"[^>]*>([^<]+)</span>', html)
    assert label and label.group(1) == "AI-colorized"
    assert f'src="{version.preview.url}"' in html
    text = " ".join(visible_text(html))
    assert f"version {version.number}" in text and version.model_name in text
    assert "2 colours were pinned by people and verified (1 with its evidence)" in " ".join(text.split())
    assert "reviewer" not in text.replace("Approved by a reviewer", "")  # not named: no choice made


def test_a_reviewer_who_chose_to_be_named_is_named(people, photo, client_for):
    publish(people, photo)
    client_for(people.reviewer).patch("/api/me/", {"named_publicly": True}, content_type="application/json")
    html = client_for(None).get(f"/photos/{photo.pk}/published/").content.decode()
    assert "Approved by reviewer on" in " ".join(" ".join(visible_text(html)).split())


def test_the_public_page_in_korean_leaves_no_english_but_data(people, photo, client_for):
    version = publish(people, photo)
    client = client_for(None)
    client.cookies["django_language"] = "ko"
    html = client.get(f"/photos/{photo.pk}/published/").content.decode()
    assert "AI 채색" in html
    data = {*FIELDS.values(), people.collection.title, version.model_name, version.model_version}
    assert english_leftovers(visible_text(html), data) == []


def test_a_private_photos_public_page_is_not_found_for_outsiders(people, client_for):
    photo = make_photo(people.collection, people.curator, title="Private")
    publish(people, photo)
    assert client_for(None).get(f"/photos/{photo.pk}/published/").status_code == 404
    assert client_for(people.outsider).get(f"/photos/{photo.pk}/published/").status_code == 404


def test_the_landing_names_a_reviewer_only_by_their_choice(people, photo, client_for):
    publish(people, photo)
    text = " ".join(" ".join(visible_text(client_for(None).get("/").content.decode())).split())
    assert "Liberation 1945 · approved by a reviewer" in text
    client_for(people.reviewer).patch("/api/me/", {"named_publicly": True}, content_type="application/json")
    text = " ".join(" ".join(visible_text(client_for(None).get("/").content.decode())).split())
    assert "Liberation 1945 · approved by reviewer" in text
