"""One photo through the API: its JSON, metadata edits by curators, the original download."""

import hashlib
import io

import pytest

from archive.models import Photo
from archive.services.ingest import do_ingest_photo, make_derivatives
from tests.factories import gray_image_bytes, jobs_run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(people):
    with jobs_run_now():
        created = do_ingest_photo(
            people.curator,
            people.collection,
            io.BytesIO(gray_image_bytes(fmt="TIFF", mode="I;16")),
            "scan 17.tif",
            {"title": "Harbour", "era": "post-war", "situations": ["industry"]},
        )
    return created


def test_the_photo_json_has_urls_checksum_dimensions_and_vocabulary_slugs(people, client_for, photo):
    body = client_for(people.viewer).get(f"/api/photos/{photo.pk}/").json()
    data = gray_image_bytes(fmt="TIFF", mode="I;16")
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["width"], body["height"], body["mode"], body["bit_depth"]) == (64, 48, "I;16", 16)
    assert (body["era"], body["situations"], body["status"]) == ("post-war", ["industry"], "unrestored")
    assert body["derivatives_status"] == "ready"
    assert set(body["urls"]) == {"thumbnail", "web", "gray", "original"}
    assert body["collection"] == people.collection.pk
    assert body["uploaded_by"] == "curator"
    assert body["dublin_core"]["identifier"] == f"sha256:{body['sha256']}"


def test_curators_edit_metadata(people, client_for, photo):
    response = client_for(people.curator).patch(
        f"/api/photos/{photo.pk}/",
        {
            "title": "Busan harbour",
            "date_display": "c. 1955",
            "date_from": "1954",
            "date_to": "1956",
            "situations": ["industry", "daily-life"],
            "era": None,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Busan harbour"
    assert (body["date_from"], body["date_to"]) == ("1954-01-01", "1956-12-31")
    assert sorted(body["situations"]) == ["daily-life", "industry"]
    assert body["era"] is None


def test_a_partial_edit_keeps_the_other_fields(people, client_for, photo):
    client_for(people.reviewer).patch(
        f"/api/photos/{photo.pk}/", {"place": "Busan"}, content_type="application/json"
    )
    photo.refresh_from_db()
    assert (photo.place, photo.title, photo.era.slug) == ("Busan", "Harbour", "post-war")
    assert list(photo.situations.values_list("slug", flat=True)) == ["industry"]


def test_a_date_range_that_ends_before_it_starts_is_refused(people, client_for, photo):
    client = client_for(people.curator)
    client.patch(f"/api/photos/{photo.pk}/", {"date_from": "1950-01-01"}, content_type="application/json")
    response = client.patch(
        f"/api/photos/{photo.pk}/", {"date_to": "1949-12-31"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "date_to": ["the end of the date range is before its start"]
    }


def test_technical_fields_and_status_cannot_be_edited_through_metadata(people, client_for, photo):
    response = client_for(people.owner).patch(
        f"/api/photos/{photo.pk}/",
        {"sha256": "0" * 64, "status": "approved"},
        content_type="application/json",
    )
    assert response.status_code == 400
    photo.refresh_from_db()
    assert photo.status == "unrestored" and photo.sha256 != "0" * 64


def test_the_original_downloads_byte_for_byte_with_its_checksum(people, client_for, photo):
    response = client_for(people.viewer).get(f"/api/photos/{photo.pk}/original/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content == gray_image_bytes(fmt="TIFF", mode="I;16")
    assert response["Content-Type"] == "image/tiff"
    assert response["X-Checksum-SHA256"] == hashlib.sha256(content).hexdigest()
    assert 'filename="scan 17.tif"' in response["Content-Disposition"]


def test_the_original_is_never_rewritten_by_derivatives_or_edits(people, client_for, photo):
    path = photo.original.path
    before = open(path, "rb").read()
    make_derivatives(photo.pk)
    client_for(people.curator).patch(
        f"/api/photos/{photo.pk}/", {"title": "x"}, content_type="application/json"
    )
    assert open(path, "rb").read() == before
    assert hashlib.sha256(before).hexdigest() == Photo.objects.get(pk=photo.pk).sha256


def test_a_photo_with_a_broken_original_records_the_derivative_failure(people, photo):
    with open(photo.original.path, "wb") as handle:
        handle.write(b"garbage")
    Photo.objects.filter(pk=photo.pk).update(derivatives_status="pending")
    assert make_derivatives(photo.pk) == "failed"
    photo.refresh_from_db()
    assert photo.derivatives_status == "failed" and photo.derivatives_error


def test_derivatives_of_a_deleted_photo_are_a_no_op(db):
    assert make_derivatives(123456) == "gone"
