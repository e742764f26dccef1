"""Owners manage collections and members with audit entries; staff edit the shared vocabularies; curators
set metadata on many photos at once (issue 12, items 3 and 5)."""

from archive.models import AuditEntry, Era, Situation
from tests.factories import UserFactory


def test_an_owner_adds_a_member_by_e_mail_and_every_change_is_audited(people, client_for):
    owner = client_for(people.owner)
    newcomer = UserFactory(username="hana", email="Hana@Example.org")
    url = f"/api/collections/{people.collection.pk}/members/"
    response = owner.post(
        url, {"username": "hana@example.org", "role": "curator"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "hana"
    owner.patch(f"{url}hana/", {"role": "reviewer"}, content_type="application/json")
    owner.delete(f"{url}hana/")
    entries = list(AuditEntry.objects.filter(collection=people.collection).order_by("id"))
    assert [(e.action, e.actor_id) for e in entries] == [
        ("member.add", people.owner.pk),
        ("member.role", people.owner.pk),
        ("member.remove", people.owner.pk),
    ]
    assert entries[1].details == {"username": "hana", "before": "curator", "role": "reviewer"}
    assert not people.collection.memberships.filter(user=newcomer).exists()


def test_a_curator_may_not_add_members_and_nothing_is_audited(people, client_for):
    url = f"/api/collections/{people.collection.pk}/members/"
    response = client_for(people.curator).post(
        url, {"username": "outsider", "role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_an_unknown_name_or_address_is_a_clear_400(people, client_for):
    url = f"/api/collections/{people.collection.pk}/members/"
    response = client_for(people.owner).post(
        url, {"username": "nobody@example.org", "role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "no active user" in response.json()["error"]["message"]


def test_staff_rename_and_add_eras_and_a_reviewer_curator_or_outsider_may_not(people, client_for):
    staff = client_for(UserFactory(username="archivist", is_staff=True))
    response = staff.patch(
        "/api/eras/liberation/", {"name": "Liberation (1945–48)"}, content_type="application/json"
    )
    assert response.status_code == 200 and Era.objects.get(slug="liberation").name == "Liberation (1945–48)"
    response = staff.post("/api/situations/", {"name": "Harbour"}, content_type="application/json")
    assert response.status_code == 201 and Situation.objects.filter(slug="harbour").exists()
    assert (
        staff.post("/api/situations/", {"name": "Harbour"}, content_type="application/json").status_code
        == 409
    )
    for persona in (people.reviewer, people.owner, people.curator, people.outsider, None):
        response = client_for(persona).post("/api/eras/", {"name": "Sneaky"}, content_type="application/json")
        assert response.status_code in (401, 403)
    assert not Era.objects.filter(slug="sneaky").exists()
    assert {e.action for e in AuditEntry.objects.all()} == {"era.update", "situation.create"}
