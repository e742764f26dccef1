"""Uploads, smaller (issue 13, item 10): messages that say what is wrong, the configured pixel limit quoted,
MPO stored as JPEG, EXIF orientation applied in derivatives while the original stays byte for byte."""

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from archive.models import Photo
from tests.factories import gray_image_bytes
from tests.test_upload import stored_files, upload

pytestmark = pytest.mark.django_db


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares width x height, with one tiny IDAT: nothing to decode, a huge claim."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [17_000, 30_000], ids=["over-the-setting", "over-pillows-own-guard"])
def test_the_413_quotes_the_configured_pixel_limit_not_pillows(people, client_for, settings, side):
    settings.MAX_IMAGE_PIXELS = 250_000_000
    response = upload(client_for(people.curator), people.collection, png_header_only(side, side))
    assert response.status_code == 413
    message = response.json()["error"]["message"]
    assert "250,000,000" in message and "250 MP" in message
    assert "500" not in message.replace("250,000,000", "")  # Pillow's 2 x limit is never quoted
    assert stored_files(settings) == []


def test_a_truncated_tiff_is_called_truncated_not_an_unknown_format(people, client_for, settings):
    tiff = gray_image_bytes(200, 150, fmt="TIFF", seed=1)
    for cut in (len(tiff) // 2, 40):  # pixel data cut, then the directory itself cut
        response = upload(client_for(people.curator), people.collection, tiff[:cut], "scan.tif")
        assert response.status_code == 400, response.json()
        error = response.json()["error"]
        assert error["code"] == "corrupt_image"
        assert "TIFF" in error["message"] and "truncated" in error["message"]
        assert "not a JPEG, PNG or TIFF" not in error["message"]
    assert stored_files(settings) == []


def test_a_png_text_chunk_bomb_is_named_as_such(people, client_for, settings):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A" * (8 * 1024 * 1024), zip=True)  # 8 MB of text in a few kilobytes
    buffer = io.BytesIO()
    Image.new("L", (16, 16)).save(buffer, format="PNG", pnginfo=info)
    assert len(buffer.getvalue()) < 64 * 1024
    response = upload(client_for(people.curator), people.collection, buffer.getvalue())
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "png_text_bomb" and "text" in error["message"]
    assert stored_files(settings) == []


def test_an_mpo_is_stored_as_a_jpeg_with_its_frames_counted(people, client_for):
    first = Image.new("RGB", (40, 30), (120, 120, 120))
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (40, 30), (90, 90, 90))])
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    response = upload(client_for(people.curator), people.collection, data, "stereo.mpo")
    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    assert photo.format == "JPEG" and photo.original.name.endswith(".jpg") and photo.page_count == 2
    assert photo.derivatives_status == "ready"
    original = client_for(people.curator).get(f"/api/photos/{photo.pk}/original/")
    assert (
        original["Content-Type"] == "image/jpeg"
        and 'filename="stereo.jpg"' in original["Content-Disposition"]
    )


def test_exif_orientation_turns_the_derivatives_but_never_the_original(people, client_for):
    pixels = Image.new("L", (64, 32), 40)
    pixels.paste(220, (0, 0, 16, 32))  # a bright band on the stored image's left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise
    buffer = io.BytesIO()
    pixels.save(buffer, format="JPEG", exif=exif, quality=95)
    data = buffer.getvalue()
    response = upload(client_for(people.curator), people.collection, data, "turned.jpg")
    assert response.status_code == 201
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (32, 64)  # as shown
    with photo.original.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(data).hexdigest() == photo.sha256
    with photo.gray.open("rb") as handle:
        gray = Image.open(handle)
        gray.load()
    assert gray.size == (32, 64)
    assert gray.getpixel((16, 4)) > 180  # the left band is now on top
    assert gray.getpixel((16, 60)) < 80
