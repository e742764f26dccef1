"""Korean vocabulary entries (issue 23, item 5): a Hangul name gets a romanized slug, an era reads its years from
its name, and the shared vocabularies are edited by staff only: a reviewer or owner of one collection cannot
rename an entry every other collection uses."""

import pytest

from accounts.models import Role
from archive.models import AuditEntry, Era, Situation
from tests.factories import CollectionFactory, UserFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(username="archivist", is_staff=True))


def post(client, path, data):
    return client.post(path, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ko")


def test_staff_add_a_korean_situation_and_it_gets_a_romanized_slug(staff):
    response = post(staff, "/api/situations/", {"name": "군 지휘관 초상"})
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "gun-jihwigwan-chosang"
    situation = Situation.objects.get(slug="gun-jihwigwan-chosang")
    assert situation.name_ko == "군 지휘관 초상"


def test_a_korean_era_reads_its_years_from_an_en_dash_in_its_name(staff):
    response = post(staff, "/api/eras/", {"name": "한국전쟁기 (1950–1953)", "name_en": "Korean War years"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "hangugjeonjaenggi-1950-1953"
    era = Era.objects.get(slug=body["slug"])
    assert (era.year_from, era.year_to) == (1950, 1953)
    assert (era.name_ko, era.name_en) == ("한국전쟁기 (1950–1953)", "Korean War years")


def test_an_era_reads_years_written_with_a_hyphen_and_a_short_end(staff):
    response = post(staff, "/api/eras/", {"name": "재건기 (1953-60)"})
    assert response.status_code == 201, response.content
    era = Era.objects.get(slug=response.json()["slug"])
    assert (era.year_from, era.year_to) == (1953, 1960)


def test_years_given_as_fields_win_over_the_name(staff):
    response = post(staff, "/api/eras/", {"name": "전후 (1953–1960)", "year_from": 1954})
    era = Era.objects.get(slug=response.json()["slug"])
    assert (era.year_from, era.year_to) == (1954, 1960)


def test_an_era_named_backwards_is_refused_with_a_clear_400(staff):
    response = post(staff, "/api/eras/", {"name": "거꾸로 (1960–1950)"})
    assert response.status_code == 400
    assert "year_to" in response.json()["error"]["fields"]


def test_a_name_with_no_letters_to_romanize_asks_for_a_slug(staff):
    response = post(staff, "/api/situations/", {"name": "★★★"})
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]
    assert post(staff, "/api/situations/", {"name": "★★★", "slug": "stars"}).status_code == 201


def test_a_reviewer_of_one_collection_is_refused_renaming_a_global_situation(people, client_for):
    response = client_for(people.reviewer).patch(
        "/api/situations/street/", {"name": "Only my street"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert Situation.objects.get(slug="street").name_en != "Only my street"
    assert not AuditEntry.objects.filter(action="situation.update").exists()


def test_an_owner_of_another_collection_is_refused_renaming_an_era(people, client_for):
    other_owner = UserFactory(username="other-owner")
    CollectionFactory(owner=other_owner, title="Other archive")
    response = client_for(other_owner).patch(
        "/api/eras/korean-war/", {"name": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_a_reviewer_of_two_collections_still_may_not_add_a_situation(people, client_for):
    add_member(CollectionFactory(owner=people.owner, title="Second"), people.reviewer, Role.REVIEWER)
    response = client_for(people.reviewer).post(
        "/api/situations/", {"name": "Harbour"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Situation.objects.filter(slug="harbour").exists()


def test_staff_rename_is_audited_with_before_and_after(staff):
    response = staff.patch(
        "/api/situations/street/", {"name_en": "Street scene"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action="situation.update")
    assert entry.details["after"] == {"name_en": "Street scene"}
    assert entry.details["before"] == {"name_en": "Street"}


def test_the_vocabulary_page_shows_edit_forms_to_staff_only(people, client_for, staff):
    assert b"vocab-rename" in staff.get("/vocabularies/").content
    assert b"vocab-rename" not in client_for(people.reviewer).get("/vocabularies/").content


def test_a_hangul_name_typed_on_an_english_page_is_the_korean_name(staff):
    response = staff.post(
        "/api/eras/",
        {"name": "한국전쟁기 (1950–1953)", "name_en": "Korean War years"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    era = Era.objects.get(slug="hangugjeonjaenggi-1950-1953")
    assert (era.name_ko, era.name_en) == ("한국전쟁기 (1950–1953)", "Korean War years")
