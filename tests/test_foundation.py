import pytest

from accounts.models import Role
from archive.access import role_of
from archive.models import Era, Situation, Visibility

pytestmark = pytest.mark.django_db


def test_it_seeds_the_era_and_situation_vocabularies():
    assert Era.objects.get(slug="korean-war").year_from == 1950
    assert Era.objects.get(slug="liberation").name == "Liberation"
    assert {"war", "liberation", "protest", "daily-life", "disaster"} <= set(
        Situation.objects.values_list("slug", flat=True)
    )


def test_roles_are_ordered_from_viewer_to_owner():
    assert Role.VIEWER < Role.CURATOR < Role.REVIEWER < Role.OWNER


def test_it_gives_each_persona_their_role(people):
    c = people.collection
    assert role_of(people.owner, c) == Role.OWNER
    assert role_of(people.curator, c) == Role.CURATOR
    assert role_of(people.reviewer, c) == Role.REVIEWER
    assert role_of(people.viewer, c) == Role.VIEWER
    assert role_of(people.outsider, c) is None
    assert role_of(None, c) is None


def test_public_collections_are_readable_by_anyone(people):
    people.collection.visibility = Visibility.PUBLIC
    people.collection.save()
    assert role_of(None, people.collection) == Role.VIEWER
    assert not people.collection.is_member(people.outsider)
