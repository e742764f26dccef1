"""The audit trail of a collection (issue 23, item 10): every metadata edit is audited with its values before and
after, and the collection's owner reads the trail, filtered, at GET /api/collections/{id}/audit/ and on the
collection's audit page; nobody else does."""

import pytest

from archive.models import AuditEntry
from tests.factories import ingest_photo

pytestmark = pytest.mark.django_db


def patch(client, photo, data):
    return client.patch(f"/api/photos/{photo.pk}/", data, content_type="application/json")


def test_a_curators_edit_of_one_photos_metadata_is_audited_with_before_and_after(people, client_for):
    photo = ingest_photo(people, title="Street", place="Seoul")
    response = patch(
        client_for(people.curator), photo, {"title": "Seoul station", "place": "Seoul", "era": "liberation"}
    )
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action="photo.metadata")
    assert entry.actor == people.curator and entry.collection == people.collection
    assert entry.details["photo"] == photo.pk
    assert entry.details["after"]["title"] == "Seoul station"
    assert entry.details["before"]["title"] == "Street"
    assert entry.details["after"]["era"] == "liberation"
    assert "place" not in entry.details["after"]  # unchanged fields are not noise in the trail


def test_situations_and_dates_are_audited_as_readable_values(people, client_for):
    photo = ingest_photo(people, title="Street")
    response = patch(
        client_for(people.curator), photo, {"situations": ["war", "street"], "date_from": "1950"}
    )
    assert response.status_code == 200, response.content
    details = AuditEntry.objects.get(action="photo.metadata").details
    assert details["after"]["situations"] == ["street", "war"]
    assert details["before"]["situations"] == []
    assert details["after"]["date_from"] == "1950-01-01"


def test_an_edit_that_changes_nothing_leaves_no_entry(people, client_for):
    photo = ingest_photo(people, title="Street")
    assert patch(client_for(people.curator), photo, {"title": "Street"}).status_code == 200
    assert not AuditEntry.objects.filter(action="photo.metadata").exists()


def test_a_refused_edit_leaves_no_entry(people, client_for):
    photo = ingest_photo(people, title="Street")
    assert patch(client_for(people.viewer), photo, {"title": "Mine"}).status_code == 403
    assert patch(client_for(people.curator), photo, {"era": "no-such-era"}).status_code == 400
    assert not AuditEntry.objects.filter(action="photo.metadata").exists()


def test_the_owner_reads_the_trail_newest_first_and_filters_it(people, client_for):
    photo = ingest_photo(people, title="Street")
    owner = client_for(people.owner)
    owner.post(
        f"/api/collections/{people.collection.pk}/members/",
        {"username": people.outsider.username, "role": "viewer"},
        content_type="application/json",
    )
    patch(client_for(people.curator), photo, {"title": "Seoul station"})
    url = f"/api/collections/{people.collection.pk}/audit/"
    body = owner.get(url).json()
    assert [e["action"] for e in body["results"]][:2] == ["photo.metadata", "member.add"]
    assert body["results"][0]["actor"] == "curator"
    only_members = owner.get(url, {"action": "member"}).json()["results"]
    assert {e["action"] for e in only_members} == {"member.add"}
    by_curator = owner.get(url, {"actor": "curator"}).json()["results"]
    assert [e["action"] for e in by_curator] == ["photo.metadata"]
    assert owner.get(url, {"action": "photo.metadata", "actor": "owner"}).json()["results"] == []


def test_a_reviewer_curator_or_outsider_may_not_read_the_trail(people, client_for):
    url = f"/api/collections/{people.collection.pk}/audit/"
    assert client_for(people.reviewer).get(url).status_code == 403
    assert client_for(people.curator).get(url).status_code == 403
    assert client_for(people.outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code in (401, 404)


def test_another_collections_entries_never_show(people, client_for):
    from tests.factories import CollectionFactory

    other = CollectionFactory(owner=people.owner, title="Other")
    client_for(people.owner).patch(
        f"/api/collections/{other.pk}/", {"description": "changed"}, content_type="application/json"
    )
    results = (
        client_for(people.owner).get(f"/api/collections/{people.collection.pk}/audit/").json()["results"]
    )
    assert all(e["action"] != "collection.update" for e in results)


def test_the_owner_reads_the_audit_page_filtered_and_in_korean(people, client_for):
    from tests.i18n_check import english_leftovers, visible_text

    photo = ingest_photo(people, title="Street")
    patch(client_for(people.curator), photo, {"title": "Seoul station"})
    owner = client_for(people.owner)
    url = f"/collections/{people.collection.pk}/audit/"
    html = owner.get(url).content.decode()
    assert "edited a photo&#x27;s metadata" in html and "Seoul station" in html and "Street" in html
    assert "Audit trail" in owner.get(f"/collections/{people.collection.pk}/").content.decode()
    filtered = owner.get(url, {"action": "member"}).content.decode()
    assert "Seoul station" not in filtered and "No changes match." in filtered
    owner.cookies["django_language"] = "ko"
    korean = owner.get(url).content.decode()
    assert "사진 메타데이터를 고침" in korean
    data = {"Liberation 1945", "Street", "Seoul station", "curator", "owner", "title"}
    assert english_leftovers(visible_text(korean), data) == []


def test_a_reviewer_is_refused_the_audit_page_and_an_outsider_does_not_find_it(people, client_for):
    url = f"/collections/{people.collection.pk}/audit/"
    assert client_for(people.reviewer).get(url).status_code == 403
    assert client_for(people.outsider).get(url).status_code == 404
    assert (
        "Audit trail"
        not in client_for(people.reviewer).get(f"/collections/{people.collection.pk}/").content.decode()
    )
