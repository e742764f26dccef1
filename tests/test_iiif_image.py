"""IIIF Image API 3.0 (colorize/iiif_image.py, colorize/services/image_service.py): info.json, region/size/
rotation/quality/format, the media access rule, CORS for public images, pyramids made once."""

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from archive.models import Visibility
from colorize.services import review as review_services
from tests.test_run_support import make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture(autouse=True)
def _iiif_cache(settings, tmp_path):
    settings.IIIF_CACHE_DIR = str(tmp_path / "iiif")
    from colorize.services import image_service

    image_service._tiles = None  # a fresh tile cache for each test


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.curator, width=700, height=500, title="Station")


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def _original_pixels(photo) -> np.ndarray:
    with photo.original.open("rb") as f:
        return np.asarray(Image.open(f).convert("L"))


def test_a_viewer_reads_the_image_information_with_tiles_and_sizes(people, photo, client_for):
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/info.json")
    assert response.status_code == 200
    info = response.json()
    assert info["id"] == f"http://testserver/iiif/3/photo-{photo.pk}"
    assert info["type"] == "ImageService3" and info["protocol"] == "http://iiif.io/api/image"
    assert (info["width"], info["height"]) == (700, 500)
    assert info["tiles"] == [{"width": 256, "scaleFactors": [1, 2, 4]}]
    assert {"width": 175, "height": 125} in info["sizes"]
    assert info["profile"] in ("level1", "level2")


def test_the_base_uri_redirects_to_the_image_information(people, photo, client_for):
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}")
    assert response.status_code == 303
    assert response["Location"].endswith(f"/iiif/3/photo-{photo.pk}/info.json")


def test_a_region_at_full_resolution_is_the_originals_exact_pixels(people, photo, client_for):
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/256,256,256,244/max/0/default.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    served = _pixels(response.content)
    assert served.shape == (244, 256)
    assert np.array_equal(served, _original_pixels(photo)[256:500, 256:512])


def test_a_scaled_region_has_the_requested_size_and_the_originals_content(people, photo, client_for):
    client = client_for(people.viewer)
    data = client.get(f"/iiif/3/photo-{photo.pk}/0,0,512,400/128,/0/default.png").content
    served = _pixels(data)
    assert served.shape == (100, 128)
    expected = np.asarray(
        Image.fromarray(_original_pixels(photo)[0:400, 0:512]).resize((128, 100), Image.Resampling.BOX)
    )
    assert np.abs(served.astype(int) - expected.astype(int)).mean() < 3
    assert _pixels(client.get(f"/iiif/3/photo-{photo.pk}/full/!100,100/0/default.jpg").content).shape == (
        71,
        100,
    )
    assert _pixels(client.get(f"/iiif/3/photo-{photo.pk}/square/pct:10/0/default.jpg").content).shape == (
        50,
        50,
    )
    assert _pixels(
        client.get(f"/iiif/3/photo-{photo.pk}/pct:50,50,50,50/^700,/0/gray.jpg").content
    ).shape == (
        500,
        700,
    )


def test_rotation_mirroring_and_bitonal_quality_transform_the_pixels(people, photo, client_for):
    client = client_for(people.viewer)
    base = _pixels(client.get(f"/iiif/3/photo-{photo.pk}/0,0,300,200/max/0/default.png").content)
    turned = _pixels(client.get(f"/iiif/3/photo-{photo.pk}/0,0,300,200/max/90/default.png").content)
    assert np.array_equal(turned, np.rot90(base, -1))  # clockwise
    mirrored = _pixels(client.get(f"/iiif/3/photo-{photo.pk}/0,0,300,200/max/!0/default.png").content)
    assert np.array_equal(mirrored, base[:, ::-1])
    bitonal = _pixels(client.get(f"/iiif/3/photo-{photo.pk}/0,0,300,200/max/0/bitonal.png").content)
    assert set(np.unique(bitonal)) <= {0, 255}


@pytest.mark.parametrize(
    "path",
    [
        "800,0,10,10/max/0/default.jpg",  # region outside the image
        "0,0,0,10/max/0/default.jpg",  # empty region
        "nonsense/max/0/default.jpg",
        "full/800,/0/default.jpg",  # larger than the region without ^
        "full/pct:0/0/default.jpg",
        "full/max/45/default.jpg",  # only quarter turns
        "full/max/0/sepia.jpg",
        "full/max/0/default.gif",
    ],
)
def test_a_malformed_or_unsupported_request_is_a_clear_400(people, photo, client_for, path):
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/{path}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_image_request"
    assert response.json()["error"]["message"]


def test_an_outsider_and_an_anonymous_visitor_of_a_private_collection_get_404(people, photo, client_for):
    for user in (people.outsider, None):
        for path in ("info.json", "full/max/0/default.jpg"):
            response = client_for(user).get(f"/iiif/3/photo-{photo.pk}/{path}")
            assert response.status_code == 404
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/full/max/0/default.jpg")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response  # private images are not offered to other sites
    assert response["Cache-Control"].startswith("private")
    assert client_for(people.viewer).get("/iiif/3/photo-999999/info.json").status_code == 404
    assert client_for(people.viewer).get("/iiif/3/nonsense/info.json").status_code == 404


def test_an_anonymous_visitor_of_a_public_collection_gets_open_cors_images(people, photo, client_for):
    people.collection.visibility = Visibility.PUBLIC
    people.collection.save()
    client = client_for(None)
    info = client.get(f"/iiif/3/photo-{photo.pk}/info.json")
    tile = client.get(f"/iiif/3/photo-{photo.pk}/0,0,256,256/256,/0/default.jpg")
    for response in (info, tile):
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["Cache-Control"].startswith("public")
    assert tile["Content-Type"] == "image/jpeg"
    assert client.get(f"/iiif/3/photo-{photo.pk}/info.json", HTTP_ACCEPT="application/ld+json")[
        "Content-Type"
    ].startswith("application/ld+json")


def test_a_draft_version_is_served_to_members_only_and_the_published_one_to_the_public(
    people, photo, client_for
):
    people.collection.visibility = Visibility.PUBLIC
    people.collection.save()
    version = run_now(people.curator, photo).version
    path = f"/iiif/3/version-{version.pk}/full/max/0/default.png"
    assert client_for(None).get(path).status_code == 404
    curator = client_for(people.curator).get(path)
    assert curator.status_code == 200 and "Access-Control-Allow-Origin" not in curator
    assert _pixels(curator.content).shape[:2] == (version.height, version.width)
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    public = client_for(None).get(path)
    assert public.status_code == 200 and public["Access-Control-Allow-Origin"] == "*"
    assert _pixels(public.content).shape == (version.height, version.width, 3)


def test_tiles_come_from_the_pyramid_made_once_not_from_the_original(people, photo, client_for, tmp_path):
    client = client_for(people.viewer)
    assert client.get(f"/iiif/3/photo-{photo.pk}/0,0,256,256/256,/0/default.jpg").status_code == 200
    # Take the original away: further tiles (never requested before) still come, from the pyramid.
    original = photo.original.path
    shutil.move(original, tmp_path / "moved")
    try:
        for x in (256, 512):
            response = client.get(f"/iiif/3/photo-{photo.pk}/{x},256,188,244/188,/0/default.jpg")
            assert response.status_code == 200
            assert _pixels(response.content).shape == (244, 188)
    finally:
        shutil.move(tmp_path / "moved", original)


def test_every_painting_body_of_a_manifest_carries_its_image_service(people, photo, client_for):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    manifest = client_for(people.viewer).get(f"/iiif/photos/{photo.pk}/manifest.json").json()
    body = manifest["items"][0]["items"][0]["items"][0]["body"]
    original, restored = body["items"]
    for item, identifier in ((original, f"photo-{photo.pk}"), (restored, f"version-{version.pk}")):
        (service,) = item["service"]
        assert service["type"] == "ImageService3"
        assert service["id"] == f"http://testserver/iiif/3/{identifier}"
        info = client_for(people.viewer).get(f"/iiif/3/{identifier}/info.json").json()
        assert (info["width"], info["height"]) == (item["width"], item["height"])


def test_a_korean_reader_gets_the_refusal_in_korean(people, photo, client_for):
    response = client_for(people.viewer).get(
        f"/iiif/3/photo-{photo.pk}/full/max/45/default.jpg", HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "0, 90, 180, 270도 회전만 지원합니다"


def test_a_stored_original_that_cannot_be_decoded_is_a_clear_422_not_a_server_error(
    people, photo, client_for
):
    with open(photo.original.path, "r+b") as f:  # a damaged file on disk (the pyramid is not made yet)
        f.truncate(200)
    response = client_for(people.viewer).get(f"/iiif/3/photo-{photo.pk}/full/max/0/default.jpg")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "image_unreadable"


def test_a_16_bit_original_is_served_as_8_bit_tiles(people, client_for):
    deep = make_photo(people.collection, people.curator, width=300, height=200, mode="I;16", seed=5)
    response = client_for(people.viewer).get(f"/iiif/3/photo-{deep.pk}/0,0,256,200/max/0/default.png")
    assert response.status_code == 200
    served = _pixels(response.content)
    assert served.dtype == np.uint8 and served.shape == (200, 256)
    with deep.original.open("rb") as f:
        expected = (np.asarray(Image.open(f)).astype(np.float64) / 257)[0:200, 0:256]
    assert np.abs(served.astype(np.float64) - expected).mean() < 2
