"""Collections and their members through the API; the owner manages members."""

import pytest

from accounts.models import Membership, Role
from archive.access import role_of
from archive.models import Collection
from tests.factories import CollectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_creating_a_collection_makes_you_its_owner(people, client_for):
    response = client_for(people.outsider).post(
        "/api/collections/",
        {"title": "Seoul streets", "description": "1950s", "visibility": "members"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["owner"], body["visibility"], body["my_role"], body["photo_count"]) == (
        "outsider",
        "members",
        "owner",
        0,
    )
    assert Collection.objects.get(pk=body["id"]).owner == people.outsider


def test_a_new_collection_is_private_by_default_and_needs_a_title(people, client_for):
    client = client_for(people.viewer)
    assert client.post("/api/collections/", {"title": "Mine"}).json()["visibility"] == "private"
    response = client.post("/api/collections/", {"title": "  "}, content_type="application/json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]


def test_an_unknown_visibility_is_refused(people, client_for):
    response = client_for(people.owner).patch(
        f"/api/collections/{people.collection.pk}/", {"visibility": "secret"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "visibility" in response.json()["error"]["fields"]


def test_the_owner_edits_the_collection(people, client_for):
    response = client_for(people.owner).patch(
        f"/api/collections/{people.collection.pk}/",
        {"title": "Liberation, August 1945", "visibility": "public"},
        content_type="application/json",
    )
    assert response.status_code == 200
    people.collection.refresh_from_db()
    assert (people.collection.title, people.collection.visibility) == ("Liberation, August 1945", "public")


def test_each_member_sees_their_own_role(people, client_for):
    for name in ("owner", "curator", "reviewer", "viewer"):
        body = client_for(getattr(people, name)).get(f"/api/collections/{people.collection.pk}/").json()
        assert body["my_role"] == name


def test_the_collection_list_costs_the_same_number_of_queries_for_many_collections(
    people, client_for, django_assert_max_num_queries
):
    client = client_for(people.viewer)
    for _ in range(8):
        collection = CollectionFactory()
        Membership.objects.create(collection=collection, user=people.viewer, role=Role.CURATOR)
    with django_assert_max_num_queries(5):
        response = client.get("/api/collections/")
    assert len(response.json()["results"]) == 9
    assert {c["my_role"] for c in response.json()["results"]} == {"viewer", "curator"}


def test_members_see_the_member_list(people, client_for):
    response = client_for(people.viewer).get(f"/api/collections/{people.collection.pk}/members/")
    assert response.status_code == 200
    assert [(m["username"], m["role"]) for m in response.json()] == [
        ("reviewer", "reviewer"),
        ("curator", "curator"),
        ("viewer", "viewer"),
    ]


def test_the_owner_adds_changes_and_removes_members(people, client_for):
    client = client_for(people.owner)
    url = f"/api/collections/{people.collection.pk}/members/"
    response = client.post(url, {"username": "outsider", "role": "curator"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["role"] == "curator"
    assert role_of(people.outsider, people.collection) == Role.CURATOR

    response = client.patch(f"{url}outsider/", {"role": "reviewer"}, content_type="application/json")
    assert response.status_code == 200
    assert role_of(people.outsider, people.collection) == Role.REVIEWER

    assert client.delete(f"{url}outsider/").status_code == 204
    assert role_of(people.outsider, people.collection) is None
    assert client.delete(f"{url}outsider/").status_code == 404


def test_adding_a_member_twice_or_the_owner_is_a_409(people, client_for):
    client = client_for(people.owner)
    url = f"/api/collections/{people.collection.pk}/members/"
    twice = client.post(url, {"username": "viewer", "role": "curator"}, content_type="application/json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_member"
    owner = client.post(url, {"username": "owner", "role": "viewer"}, content_type="application/json")
    assert owner.status_code == 409 and owner.json()["error"]["code"] == "is_owner"


def test_unknown_users_and_roles_are_refused_clearly(people, client_for):
    client = client_for(people.owner)
    url = f"/api/collections/{people.collection.pk}/members/"
    nobody = client.post(url, {"username": "ghost", "role": "viewer"}, content_type="application/json")
    assert nobody.status_code == 400
    assert "ghost" in nobody.json()["error"]["fields"]["username"][0]
    bad_role = client.post(url, {"username": "outsider", "role": "king"}, content_type="application/json")
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()["error"]["fields"]


def test_a_member_promoted_to_owner_may_manage_members(people, client_for):
    Membership.objects.filter(user=people.reviewer).update(role=Role.OWNER)
    newcomer = UserFactory(username="newcomer")
    response = client_for(people.reviewer).post(
        f"/api/collections/{people.collection.pk}/members/",
        {"username": "newcomer", "role": "viewer"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert role_of(newcomer, people.collection) == Role.VIEWER


def test_vocabularies_are_listed_for_everyone(client_for, db):
    eras = {e["slug"]: e for e in client_for(None).get("/api/eras/").json()}
    war = eras["korean-war"]
    assert (war["name"], war["name_ko"], war["name_en"]) == ("Korean War", "한국전쟁", "Korean War")
    assert (war["year_from"], war["year_to"], war["parent"], war["kind"]) == (
        1950,
        1953,
        "first-republic",
        "period",
    )
    situations = client_for(None).get("/api/situations/").json()
    assert {s["slug"] for s in situations} >= {"war", "protest", "ceremony", "daily-life", "disaster"}


def test_unknown_collections_are_404_in_the_error_format(people, client_for):
    response = client_for(people.owner).get("/api/collections/999999/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "not found", "fields": {}}}
