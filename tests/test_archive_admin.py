"""Django admin pages exist and load for every archive and accounts model."""

import io

import pytest
from django.contrib import admin

from accounts.models import Membership
from archive.models import Collection, Era, Photo, Situation
from archive.services.ingest import do_ingest_photo
from tests.factories import UserFactory, gray_image_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Era, Situation, Collection, Photo, Membership])
def test_every_model_is_registered_in_the_admin(model):
    assert admin.site.is_registered(model)


def test_admin_list_and_change_pages_load(people, client):
    photo = do_ingest_photo(people.curator, people.collection, io.BytesIO(gray_image_bytes()), "a.png")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    objects = {
        "era": Era.objects.first(),
        "situation": Situation.objects.first(),
        "collection": people.collection,
        "photo": photo,
    }
    for name, obj in objects.items():
        assert client.get(f"/admin/archive/{name}/").status_code == 200, name
        assert client.get(f"/admin/archive/{name}/{obj.pk}/change/").status_code == 200, name
        assert client.get(f"/admin/archive/{name}/?q=a").status_code == 200, name
    membership = Membership.objects.first()
    assert client.get("/admin/accounts/membership/").status_code == 200
    assert client.get(f"/admin/accounts/membership/{membership.pk}/change/").status_code == 200


def test_eras_are_editable_in_the_admin(people, client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/archive/era/add/",
        {
            "slug": "new-village",
            "name_ko": "새마을 운동",
            "name_en": "New Village Movement",
            "description_ko": "",
            "description_en": "",
            "kind": "period",
            "parent": Era.objects.get(slug="industrialization").pk,
            "year_from": 1970,
            "year_to": 1979,
            "order": 99,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    era = Era.objects.get(slug="new-village")
    assert (era.name_ko, era.name_en, era.parent.slug, era.year_to) == (
        "새마을 운동",
        "New Village Movement",
        "industrialization",
        1979,
    )


def test_deleting_a_photo_deletes_its_files_after_commit(people, settings):
    from tests.factories import jobs_run_now
    from tests.test_upload import stored_files

    with jobs_run_now():
        photo = do_ingest_photo(people.curator, people.collection, io.BytesIO(gray_image_bytes()), "a.png")
    assert len(stored_files(settings)) == 4
    with jobs_run_now():
        people.collection.delete()
    assert stored_files(settings) == []
    assert not Photo.objects.filter(pk=photo.pk).exists()
