"""Stored XSS through uploads (issue 13, item 1): a valid PNG that carries `<script>` and is named x.html.

Every upload endpoint stores it under a name made from the detected format (.png), no response (the upload's
answer, the served file) is text/html, and user-supplied files are served as nosniff attachments.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from archive.models import Photo
from colorize.models import ReferencePhoto, Run
from colorize.models.hints import Hint
from tests.factories import jobs_run_now, make_photo

pytestmark = pytest.mark.django_db

SCRIPT = (
    b"<html><body><script>fetch('/api/collections/').then(r=>r.text()).then(alert)</script></body></html>"
)


def polyglot_png(seed: int = 0) -> bytes:
    """A PNG that Pillow decodes and a browser sniffing for HTML would run: script in a text chunk and after IEND."""
    image = Image.new("RGB", (24, 16), (seed * 7 % 256, 90, 40))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue() + SCRIPT


def html_upload(seed: int, field_name: str = "x.html") -> SimpleUploadedFile:
    return SimpleUploadedFile(field_name, polyglot_png(seed), content_type="text/html")


def assert_never_html(response):
    content_type = response.get("Content-Type", "")
    assert "html" not in content_type.lower(), (response.status_code, content_type)


def assert_served_as_image_attachment(client, name: str, expected_type: str = "image/png"):
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert_never_html(response)
    assert response["Content-Type"] == expected_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    return response


def test_the_photo_upload_stores_the_polyglot_as_png_and_downloads_it_as_png(people, client_for):
    curator = client_for(people.curator)
    with jobs_run_now():
        response = curator.post(f"/api/collections/{people.collection.pk}/photos/", {"file": html_upload(1)})
    assert response.status_code == 201, response.content
    assert_never_html(response)
    photo = Photo.objects.get()
    assert photo.original.name.endswith(".png") and ".html" not in photo.original.name
    assert_served_as_image_attachment(curator, photo.original.name)
    download = curator.get(f"/api/photos/{photo.pk}/original/")
    assert_never_html(download)
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert 'filename="x.png"' in download["Content-Disposition"]
    assert download["Content-Disposition"].startswith("attachment")


def test_the_zip_upload_stores_a_polyglot_member_as_png(people, client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.html", polyglot_png(2))
    curator = client_for(people.curator)
    with jobs_run_now():
        response = curator.post(
            f"/api/collections/{people.collection.pk}/photos/zip/",
            {"file": SimpleUploadedFile("batch.zip", buffer.getvalue(), content_type="application/zip")},
        )
    assert response.status_code in (200, 202), response.content
    assert_never_html(response)
    photo = Photo.objects.get()
    assert photo.original.name.endswith(".png")
    assert_served_as_image_attachment(curator, photo.original.name)


def test_a_reference_photo_is_re_encoded_and_named_png_whatever_its_name(people, client_for):
    curator = client_for(people.curator)
    response = curator.post("/api/references/", {"image": html_upload(3), "era": "korean-war"})
    assert response.status_code == 201, response.content
    assert_never_html(response)
    reference = ReferencePhoto.objects.get()
    assert reference.image.name.endswith(".png") and response.json()["image"].endswith(".png")
    served = assert_served_as_image_attachment(curator, reference.image.name)
    body = b"".join(served.streaming_content)
    assert b"<script" not in body  # re-encoded: only the pixels survive
    assert Image.open(io.BytesIO(body)).size == (24, 16)
    listing = client_for(None).get("/api/references/")
    assert_never_html(listing)
    assert all(r["image"].endswith(".png") for r in listing.json()["results"])


def test_a_runs_reference_image_is_re_encoded_and_named_png(people, client_for):
    photo = make_photo(people.collection)
    curator = client_for(people.curator)
    response = curator.post(f"/api/photos/{photo.pk}/runs/", {"reference_image": html_upload(4)})
    assert response.status_code == 202, response.content
    assert_never_html(response)
    run = Run.objects.get()
    assert run.reference_image.name.endswith(".png") and "reference-" in run.reference_image.name
    served = assert_served_as_image_attachment(curator, run.reference_image.name)
    assert b"<script" not in b"".join(served.streaming_content)


def test_an_evidence_image_is_named_from_its_format_and_served_as_an_attachment(people, client_for, settings):
    settings.ROOM_PREVIEW_BACKEND = "off"
    photo = make_photo(people.collection)
    curator = client_for(people.curator)
    hint = curator.post(
        f"/api/photos/{photo.pk}/hints/",
        {"x": 0.5, "y": 0.5, "color": "#b22222", "radius": 0.01},
        content_type="application/json",
    )
    hint_id = hint.json()["hint"]["id"]
    response = curator.post(f"/api/hints/{hint_id}/evidence-image/", {"image": html_upload(5), "revision": 1})
    assert response.status_code == 200, response.content
    assert_never_html(response)
    stored = Hint.objects.get().evidence_image.name
    assert stored.endswith(".png")
    assert_served_as_image_attachment(curator, stored)


def test_a_file_stored_before_the_fix_with_an_html_name_is_served_as_an_opaque_download(
    people, client_for, settings
):
    """Old rows may still point at references/<uuid>.html: media serving never renders them."""
    import pathlib

    path = pathlib.Path(settings.MEDIA_ROOT) / "references" / "0123abcd.html"
    path.parent.mkdir(parents=True)
    path.write_bytes(polyglot_png(6))
    response = client_for(people.curator).get("/media/references/0123abcd.html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_platform_made_derivatives_stay_inline_images_with_nosniff(people, client_for):
    curator = client_for(people.curator)
    with jobs_run_now():
        curator.post(f"/api/collections/{people.collection.pk}/photos/", {"file": html_upload(7)})
    photo = Photo.objects.get()
    response = curator.get(f"/media/{photo.thumbnail.name}")
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.get("Content-Disposition", "").startswith("attachment")


def test_a_reference_added_in_the_admin_is_re_encoded_too(people, client_for):
    """Django's admin refuses the .html name itself; a polyglot named .png is re-encoded like the API's."""
    from archive.models import Era
    from tests.factories import UserFactory

    admin = client_for(UserFactory(username="site-admin", is_staff=True, is_superuser=True))
    form = {
        "era": str(Era.objects.get(slug="korean-war").pk),
        "created_at_0": "2026-01-01",
        "created_at_1": "10:00",
    }
    refused = admin.post("/admin/colorize/referencephoto/add/", {**form, "image": html_upload(9)})
    assert refused.status_code == 200 and "image" in refused.context["adminform"].form.errors
    response = admin.post("/admin/colorize/referencephoto/add/", {**form, "image": html_upload(9, "x.png")})
    assert response.status_code == 302
    reference = ReferencePhoto.objects.get()
    assert reference.image.name.endswith(".png")
    with reference.image.open("rb") as handle:
        assert b"<script" not in handle.read()
