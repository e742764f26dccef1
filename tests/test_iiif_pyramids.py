"""IIIF pyramids made as derivatives (at ingest, at publication) and the access cache of the tile service
(colorize/services/image_service.py, colorize/iiif_image.py; docs/interop.md)."""

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from archive.models import DerivativeStatus, Photo, Visibility
from archive.services.collections import do_remove_member, do_update_collection
from colorize.services import image_service
from colorize.services import review as review_services
from tests.factories import gray_image_bytes
from tests.test_run_support import make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]
TILE = "0,0,256,256/256,/0/default.jpg"


@pytest.fixture(autouse=True)
def _iiif_cache():
    image_service._tiles = None  # a fresh tile cache for each test (IIIF_CACHE_DIR: tests/conftest.py)


def _upload(client, collection, width=700, height=500, seed=3):
    data = gray_image_bytes(width, height, fmt="PNG", seed=seed)
    response = client.post(
        f"/api/collections/{collection.pk}/photos/",
        {"file": SimpleUploadedFile("scan.png", data, content_type="image/png")},
    )
    assert response.status_code == 201, response.content
    return Photo.objects.get(pk=response.json()["id"])


def test_an_uploaded_scan_has_its_pyramid_before_anyone_opens_it(
    people, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the derivative job runs after the upload commits
        photo = _upload(client_for(people.curator), people.collection)
    photo.refresh_from_db()
    assert photo.derivatives_status == DerivativeStatus.READY
    pyramid = image_service.pyramid_path(photo.sha256)
    assert pyramid.exists()  # no IIIF request was made
    made = pyramid.stat().st_mtime_ns
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/0,0,256,256/max/0/default.png")
    assert response.status_code == 200
    assert pyramid.stat().st_mtime_ns == made  # served from it, not made again
    with photo.original.open("rb") as f:
        original = np.asarray(Image.open(f).convert("L"))[0:256, 0:256]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(response.content))), original)


def test_a_photo_whose_pyramid_failed_at_ingest_still_opens_and_gets_it_on_demand(
    people, client_for, django_capture_on_commit_callbacks, settings, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the pyramid folder should be")
    settings.IIIF_CACHE_DIR = str(blocked)
    with django_capture_on_commit_callbacks(execute=True):
        photo = _upload(client_for(people.curator), people.collection)
    photo.refresh_from_db()
    assert photo.derivatives_status == DerivativeStatus.READY  # the pyramid's failure fails no derivative
    settings.IIIF_CACHE_DIR = str(tmp_path / "iiif-fixed")
    assert not image_service.pyramid_path(photo.sha256).exists()
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/{TILE}")
    assert response.status_code == 200
    assert image_service.pyramid_path(photo.sha256).exists()


def test_a_photo_ingested_before_pyramids_were_derivatives_gets_one_on_its_first_tile(people, client_for):
    photo = make_photo(people.collection, people.curator, width=300, height=200)  # no derivative job ran
    assert not image_service.pyramid_path(photo.sha256).exists()
    assert client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 200
    assert image_service.pyramid_path(photo.sha256).exists()


def test_a_published_restoration_has_its_pyramid_once_approved(
    people, client_for, django_capture_on_commit_callbacks
):
    photo = make_photo(people.collection, people.curator, width=300, height=200)
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    assert not image_service.pyramid_path(version.result_sha256).exists()
    with django_capture_on_commit_callbacks(execute=True):
        review_services.do_approve(people.reviewer, version)
    assert image_service.pyramid_path(version.result_sha256).exists()


def test_a_public_tile_asked_again_by_a_visitor_costs_no_database_query(
    people, client_for, django_assert_num_queries
):
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PUBLIC})
    photo = make_photo(people.collection, people.curator, width=600, height=400)
    visitor = client_for(None)
    assert visitor.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 200
    with django_assert_num_queries(0):
        assert visitor.get(f"/iiif/3/photo-{photo.pk}/256,0,256,256/256,/0/default.jpg").status_code == 200


def test_a_visitor_loses_the_tiles_at_once_when_the_owner_makes_the_collection_private(people, client_for):
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PUBLIC})
    photo = make_photo(people.collection, people.curator, width=600, height=400)
    visitor = client_for(None)
    assert visitor.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 200
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PRIVATE})
    for path in (TILE, "256,0,256,256/256,/0/default.jpg"):  # a cached tile and a new one
        assert visitor.get(f"/iiif/3/photo-{photo.pk}/{path}").status_code == 404


def test_a_removed_member_loses_the_tiles_at_once_and_an_outsider_never_shares_a_decision(people, client_for):
    photo = make_photo(people.collection, people.curator, width=600, height=400)
    viewer, outsider = client_for(people.viewer), client_for(people.outsider)
    assert viewer.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 200
    assert outsider.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 404
    assert client_for(None).get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 404
    do_remove_member(people.owner, people.collection, people.viewer.username)
    assert viewer.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 404


def test_a_deleted_photo_has_no_tiles_left(people, client_for):
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PUBLIC})
    photo = make_photo(people.collection, people.curator, width=600, height=400)
    visitor = client_for(None)
    assert visitor.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 200
    Photo.objects.get(pk=photo.pk).delete()
    assert visitor.get(f"/iiif/3/photo-{photo.pk}/{TILE}").status_code == 404


def test_a_script_with_the_viewers_token_reads_a_private_tile_and_a_bad_token_is_refused(people):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    photo = make_photo(people.collection, people.curator, width=300, height=200)
    key = Token.objects.create(user=people.viewer).key
    url = f"/iiif/3/photo-{photo.pk}/{TILE}"
    assert Client(headers={"Authorization": f"Token {key}"}).get(url).status_code == 200
    assert Client().get(url).status_code == 404
    refused = Client(headers={"Authorization": "Token not-a-token"}).get(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "authentication_failed"
    outsider = Token.objects.create(user=people.outsider).key
    assert Client(headers={"Authorization": f"Token {outsider}"}).get(url).status_code == 404


def test_a_decision_begun_before_the_owner_made_the_collection_private_is_not_kept(people):
    from colorize.iiif_image import _decide, access_cache

    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PUBLIC})
    photo = make_photo(people.collection, people.curator, width=300, height=200)
    began = access_cache.generation
    allowed = _decide(None, f"photo-{photo.pk}")  # read while the collection was public
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PRIVATE})
    access_cache.put((f"photo-{photo.pk}", None), allowed, began)  # it arrives after the change
    assert access_cache.get((f"photo-{photo.pk}", None)) is None


def test_an_operator_makes_the_pyramids_of_photos_ingested_before_in_one_command(people):
    from django.core.management import call_command

    photo = make_photo(people.collection, people.curator, width=300, height=200)  # no derivative job ran
    Photo.objects.filter(pk=photo.pk).update(derivatives_status=DerivativeStatus.READY)
    out = io.StringIO()
    call_command("build_iiif_pyramids", "--collection", str(people.collection.pk), stdout=out)
    assert image_service.pyramid_path(photo.sha256).exists()
    assert out.getvalue().strip() == "1 made, 0 already there, 0 failed"
    out = io.StringIO()
    call_command("build_iiif_pyramids", stdout=out)
    assert out.getvalue().strip() == "0 made, 1 already there, 0 failed"
