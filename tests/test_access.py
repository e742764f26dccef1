"""The one access rule (archive/access.py, colorize/access.py) and the one not-found answer."""

import pytest

from accounts.models import Role
from archive.access import NotFound, get_photo_for, role_of, visible_collections
from colorize.access import get_hint_for, get_run_for, get_version_for
from colorize.models import Hint, Run
from colorize.services.hints import do_add_hint
from tests.factories import make_photo

NOT_FOUND = {"error": {"code": "not_found", "message": "not found", "fields": {}}}


@pytest.fixture
def private_things(people):
    photo = make_photo(people.collection)
    run = Run.objects.create(photo=photo, requested_by=people.curator)
    do_add_hint(people.curator, photo, {"x": 0.5, "y": 0.5, "color": "#aa3322"})
    hint = Hint.objects.get(photo=photo)
    return photo, run, hint


def _urls(collection_id, photo_id, run_id, hint_id):
    return [
        f"/api/collections/{collection_id}/",
        f"/api/photos/{photo_id}/",
        f"/api/photos/{photo_id}/hints/",
        f"/api/photos/{photo_id}/runs/",
        f"/api/photos/{photo_id}/versions/",
        f"/api/runs/{run_id}/",
        f"/api/hints/{hint_id}/",
        f"/api/photos/{photo_id}/annotations/",
        f"/iiif/photos/{photo_id}/manifest.json",
    ]


def test_an_outsider_cannot_tell_a_private_thing_from_a_missing_one(people, client_for, private_things):
    photo, run, hint = private_things
    outsider = client_for(people.outsider)
    hidden = _urls(people.collection.pk, photo.pk, run.pk, hint.pk)
    missing = _urls(999_999, 999_999, 999_999, 999_999)
    for url in hidden + missing:
        response = outsider.get(url)
        assert (url, response.status_code, response.json()) == (url, 404, NOT_FOUND)


def test_the_curator_reads_the_same_things(people, client_for, private_things):
    photo, run, hint = private_things
    curator = client_for(people.curator)
    for url in _urls(people.collection.pk, photo.pk, run.pk, hint.pk):
        assert (url, curator.get(url).status_code) == (url, 200)


def test_loaders_refuse_malformed_ids_as_not_found(people):
    for bad in ("abc", None, -1, 0, 2**64, "1; drop table"):
        for loader in (get_photo_for, get_run_for, get_version_for, get_hint_for):
            with pytest.raises(NotFound):
                loader(people.owner, bad)


def test_a_too_low_role_is_refused_without_hiding_the_photo(people, private_things):
    from rest_framework.exceptions import PermissionDenied

    photo, _run, _hint = private_things
    assert get_photo_for(people.viewer, photo.pk) == photo
    with pytest.raises(PermissionDenied):
        get_photo_for(people.viewer, photo.pk, Role.CURATOR)


def test_the_prefetched_role_answers_like_the_queried_one_without_queries(people, django_assert_num_queries):
    users = [people.owner, people.curator, people.reviewer, people.viewer, people.outsider, None]
    queried = [role_of(user, people.collection) for user in users]
    assert queried == [Role.OWNER, Role.CURATOR, Role.REVIEWER, Role.VIEWER, None, None]
    for user, expected in zip(users[:4], queried[:4], strict=True):
        collection = visible_collections(user).get(pk=people.collection.pk)
        with django_assert_num_queries(0):
            assert role_of(user, collection) == expected
