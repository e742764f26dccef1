"""Uploads: format sniffing, limits, byte-for-byte originals, duplicates, nothing stored on failure."""

import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from archive.models import DerivativeStatus, Photo
from archive.services import ingest as ingest_services
from archive.services.ingest import do_ingest_photo, make_derivatives
from config.api import ServiceError
from tests.factories import gray_image_bytes, jobs_run_now

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload(client, collection, data: bytes, name="photo.png", **fields):
    """POST one file; the derivative job (after commit) runs before this returns."""
    with jobs_run_now():
        return client.post(
            f"/api/collections/{collection.pk}/photos/",
            {"file": SimpleUploadedFile(name, data), **fields},
        )


def ingest(people, data: bytes, name="a.png", metadata=None, collection=None):
    with jobs_run_now():
        photo = do_ingest_photo(
            people.curator, collection or people.collection, io.BytesIO(data), name, metadata
        )
    photo.refresh_from_db()
    return photo


def image_bytes(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def multipage_tiff() -> bytes:
    first = Image.open(io.BytesIO(gray_image_bytes(40, 30)))
    second = Image.new("L", (10, 10), 200)
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    return buffer.getvalue()


def rgb16_tiff() -> bytes:
    values = (np.random.default_rng(1).random((24, 32, 3)) * 65535).astype(np.uint16)
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, values, photometric="rgb")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, name, fmt, mode, bit_depth, pages",
    [
        (gray_image_bytes(fmt="JPEG"), "scan.jpg", "JPEG", "L", 8, 1),
        (gray_image_bytes(fmt="PNG"), "scan.png", "PNG", "L", 8, 1),
        (gray_image_bytes(fmt="PNG", mode="I;16"), "scan16.png", "PNG", "I;16", 16, 1),
        (gray_image_bytes(fmt="TIFF"), "scan.tif", "TIFF", "L", 8, 1),
        (gray_image_bytes(fmt="TIFF", mode="I;16"), "scan16.tif", "TIFF", "I;16", 16, 1),
        (gray_image_bytes(fmt="TIFF", mode="RGB"), "colour.tif", "TIFF", "RGB", 8, 1),
        (rgb16_tiff(), "colour16.tif", "TIFF", "RGB", 16, 1),
        (gray_image_bytes(fmt="JPEG", mode="RGB"), "colour.jpeg", "JPEG", "RGB", 8, 1),
        (multipage_tiff(), "pages.tiff", "TIFF", "L", 8, 2),
        (image_bytes(Image.new("1", (33, 17), 1), "PNG"), "bilevel.png", "PNG", "1", 1, 1),
        (image_bytes(Image.new("P", (20, 10), 3), "PNG"), "palette.png", "PNG", "P", 1, 1),
        (image_bytes(Image.new("RGBA", (20, 10), (9, 9, 9, 128)), "PNG"), "alpha.png", "PNG", "RGBA", 8, 1),
        (image_bytes(Image.new("CMYK", (20, 10), (0, 0, 0, 100)), "JPEG"), "print.jpg", "JPEG", "CMYK", 8, 1),
    ],
    ids=lambda value: "file" if isinstance(value, bytes) else None,
)
def test_it_accepts_jpeg_png_and_tiff_and_keeps_the_original_byte_for_byte(
    people, client_for, settings, data, name, fmt, mode, bit_depth, pages
):
    response = upload(client_for(people.curator), people.collection, data, name, title="Street, 1950")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["format"], body["mode"], body["bit_depth"], body["page_count"]) == (
        fmt,
        mode,
        bit_depth,
        pages,
    )
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["byte_size"] == len(data)
    photo = Photo.objects.get(pk=body["id"])
    with photo.original.open("rb") as stored:
        assert stored.read() == data
    assert photo.original_name == name
    assert photo.uploaded_by == people.curator
    assert photo.derivatives_status == "ready", photo.derivatives_error
    gray = Image.open(photo.gray.path)
    assert (gray.mode, gray.size) == ("L", (body["width"], body["height"]))


def test_it_sniffs_the_format_from_content_not_the_file_name(people, client_for):
    response = upload(client_for(people.curator), people.collection, gray_image_bytes(fmt="PNG"), "looks.jpg")
    assert response.status_code == 201
    assert response.json()["format"] == "PNG"
    assert Photo.objects.get().original.name.endswith(".png")


def test_it_records_width_height_and_uses_the_first_page_of_a_multipage_tiff(people, client_for):
    response = upload(client_for(people.curator), people.collection, multipage_tiff(), "pages.tif")
    body = response.json()
    assert (body["width"], body["height"], body["page_count"]) == (40, 30, 2)
    photo = Photo.objects.get()
    assert Image.open(photo.gray.path).size == (40, 30)


def test_it_makes_thumbnail_web_and_8bit_gray_derivatives(people, client_for):
    response = upload(client_for(people.curator), people.collection, gray_image_bytes(800, 600, fmt="PNG"))
    body = response.json()
    photo = Photo.objects.get()
    assert photo.derivatives_status == "ready"
    thumbnail, web, gray = (Image.open(getattr(photo, n).path) for n in ("thumbnail", "web", "gray"))
    assert max(thumbnail.size) == 320 and thumbnail.format == "JPEG"
    assert web.size == (800, 600)  # never upscaled past the original
    assert gray.size == (800, 600) and gray.mode == "L" and gray.format == "PNG"
    urls = client_for(people.viewer).get(f"/api/photos/{photo.pk}/").json()["urls"]
    for name in ("thumbnail", "web", "gray"):
        assert urls[name].startswith("http://testserver/media/derivatives/")
    assert urls["original"] == f"http://testserver/api/photos/{photo.pk}/original/"
    assert body["urls"]["thumbnail"] is None  # the response to the upload comes before the job


def test_it_caps_the_web_derivative_at_2048_pixels(people):
    photo = ingest(people, gray_image_bytes(2600, 1300, fmt="JPEG"), "big.jpg")
    assert Image.open(photo.web.path).size == (2048, 1024)


def test_it_scales_16bit_gray_to_8bit_instead_of_clipping_it(people):
    values = np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16).repeat(4, 0)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    photo = ingest(people, buffer.getvalue())
    gray = np.asarray(Image.open(photo.gray.path))
    assert gray[0].tolist() == [0, 64, 128, 255]


def test_making_derivatives_twice_leaves_one_set_of_files(people, settings):
    photo = ingest(people, gray_image_bytes())
    before = stored_files(settings)
    assert make_derivatives(photo.pk) == "ready"
    Photo.objects.filter(pk=photo.pk).update(derivatives_status=DerivativeStatus.PENDING)
    assert make_derivatives(photo.pk) == "ready"
    assert stored_files(settings) == before
    assert len(before) == 4  # original + thumbnail + web + gray


def test_a_duplicate_in_the_same_collection_is_a_409_and_stores_nothing_more(people, client_for, settings):
    client = client_for(people.curator)
    data = gray_image_bytes(fmt="TIFF")
    first = upload(client, people.collection, data, "a.tif")
    before = stored_files(settings)
    second = upload(client, people.collection, data, "copy-of-a.tif")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "duplicate"
    assert str(first.json()["id"]) in error["message"]
    assert Photo.objects.count() == 1
    assert stored_files(settings) == before


def test_the_same_file_may_live_in_two_collections(people):
    from tests.factories import CollectionFactory

    other = CollectionFactory(owner=people.curator)
    data = gray_image_bytes()
    do_ingest_photo(people.curator, people.collection, io.BytesIO(data), "a.png")
    do_ingest_photo(people.curator, other, io.BytesIO(data), "a.png")
    assert Photo.objects.filter(sha256=hashlib.sha256(data).hexdigest()).count() == 2


def truncated_jpeg() -> bytes:
    data = gray_image_bytes(300, 200, fmt="JPEG")
    return data[: len(data) // 2]


def bomb_png() -> bytes:
    # 20000 x 20000 = 400 MP declared in a tiny, highly compressed file.
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, status, code",
    [
        (b"", 400, "invalid"),
        (b"this is a text file, not a photograph\n" * 10, 415, "unsupported_format"),
        (gray_image_bytes(fmt="GIF"), 415, "unsupported_format"),
        (gray_image_bytes(fmt="BMP"), 415, "unsupported_format"),
        (truncated_jpeg(), 400, "corrupt_image"),
        (gray_image_bytes(fmt="PNG")[:-40], 400, "corrupt_image"),
        (bomb_png(), 413, "too_many_pixels"),
    ],
    ids=["empty", "text", "gif", "bmp", "truncated-jpeg", "truncated-png", "bomb"],
)
def test_a_bad_file_gets_a_clear_4xx_and_nothing_is_stored(people, client_for, settings, data, status, code):
    response = upload(client_for(people.curator), people.collection, data, "photo.jpg")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert Photo.objects.count() == 0
    assert stored_files(settings) == []


def test_it_refuses_a_file_over_the_byte_limit(people, client_for, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(client_for(people.curator), people.collection, gray_image_bytes(100, 100, fmt="TIFF"))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert stored_files(settings) == [] and Photo.objects.count() == 0


def test_the_service_refuses_an_empty_file(people):
    with pytest.raises(ServiceError) as caught:
        do_ingest_photo(people.curator, people.collection, io.BytesIO(b""), "x.tif")
    assert caught.value.code == "empty_file"


def test_the_service_enforces_the_byte_limit_while_streaming(people, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ServiceError) as caught:
        do_ingest_photo(people.curator, people.collection, io.BytesIO(b"\0" * 5000), "x.tif")
    assert caught.value.code == "file_too_large" and caught.value.status_code == 413


def test_it_checks_the_pixel_count_from_the_header_before_decoding(people, client_for, settings, monkeypatch):
    settings.MAX_IMAGE_PIXELS = 64 * 48 - 1
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(1))
    response = upload(client_for(people.curator), people.collection, gray_image_bytes(64, 48))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_pixels"
    assert "3,072" in response.json()["error"]["message"]
    assert decoded == []
    assert stored_files(settings) == []


def test_pillows_own_decompression_bomb_error_is_a_clear_413(people, client_for, settings, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow raises at twice its limit
    response = upload(client_for(people.curator), people.collection, gray_image_bytes(64, 48))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_pixels"
    assert stored_files(settings) == []


def test_an_oversized_request_is_refused_from_its_content_length_before_reading_it(
    people, client_for, settings, monkeypatch
):
    settings.MAX_UPLOAD_BYTES = 1000
    monkeypatch.setattr(ingest_services, "_spool", lambda *a: pytest.fail("the body should not be read"))
    response = upload(client_for(people.curator), people.collection, b"\0" * 200_000, "big.tif")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"


def test_bad_metadata_is_refused_before_anything_is_stored(people, client_for, settings):
    response = upload(
        client_for(people.curator),
        people.collection,
        gray_image_bytes(),
        era="no-such-era",
        situations=["war", "nonsense"],
        date_from="1950-01-01",
        date_to="1940-01-01",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"era", "situations", "date_to"}
    assert "nonsense" in fields["situations"][0]
    assert stored_files(settings) == [] and Photo.objects.count() == 0


def test_a_database_failure_after_the_file_is_written_leaves_no_file(people, settings, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Photo, "save", explode)
    with pytest.raises(RuntimeError):
        do_ingest_photo(people.curator, people.collection, io.BytesIO(gray_image_bytes()), "a.png")
    assert stored_files(settings) == []


def test_it_stores_dublin_core_metadata_era_and_situations(people, client_for):
    response = upload(
        client_for(people.curator),
        people.collection,
        gray_image_bytes(),
        "liberation.png",
        title="Crowds on Liberation Day",
        description="People fill the street.",
        creator="Unknown photographer",
        date_display="c. 1945",
        date_from="1945-08-15",
        date_to="1945-08-16",
        place="Seoul",
        source="National Archives",
        rights="Public domain",
        identifier="NA-1945-001",
        era="liberation",
        situations=["liberation", "street"],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["era"] == "liberation"
    assert sorted(body["situations"]) == ["liberation", "street"]
    assert (body["date_from"], body["date_to"], body["date_display"]) == (
        "1945-08-15",
        "1945-08-16",
        "c. 1945",
    )
    assert body["status"] == "unrestored"
    dc = body["dublin_core"]
    assert dc["title"] == "Crowds on Liberation Day"
    assert dc["date"] == "c. 1945"
    assert dc["type"] == "StillImage" and dc["format"] == "image/png"
    assert dc["coverage"] == "Seoul, Liberation"


def test_situations_may_be_sent_as_one_comma_separated_field(people, client_for):
    response = upload(
        client_for(people.curator), people.collection, gray_image_bytes(), situations="war, protest"
    )
    assert sorted(response.json()["situations"]) == ["protest", "war"]


def test_a_bare_year_is_a_whole_year_range(people):
    photo = do_ingest_photo(
        people.curator,
        people.collection,
        io.BytesIO(gray_image_bytes()),
        "a.png",
        {"date_from": "1950", "date_to": "1953"},
    )
    assert (photo.date_from.isoformat(), photo.date_to.isoformat()) == ("1950-01-01", "1953-12-31")


def test_storage_paths_use_the_checksum_not_the_uploaded_name(people):
    photo = do_ingest_photo(
        people.curator, people.collection, io.BytesIO(gray_image_bytes()), "../../etc/passwd.png"
    )
    assert photo.original.name == f"originals/{people.collection.pk}/{photo.sha256[:2]}/{photo.sha256}.png"
    assert photo.original_name == "passwd.png"
    assert os.path.exists(photo.original.path)
