"""16-bit TIFF exports for 16-bit originals (issue 23, item 10): the export keeps the original's 16-bit tonal
steps (its lightness) with the version's colour, says it is AI-colorized in its XMP, and carries the marks; an
8-bit original still exports an 8-bit TIFF."""

import io

import numpy as np
import pytest
import tifffile
from skimage.color import rgb2lab

from colorize.services import review as review_services
from tests.test_run_support import make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


def _approved(people, mode):
    photo = make_photo(people.collection, people.curator, 96, 64, seed=5, mode=mode, title="Gate")
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    return version


def _tiff(client, version, **params):
    response = client.get(f"/api/versions/{version.pk}/export/", {"format": "tiff", **params})
    assert response.status_code == 200, response.content
    with tifffile.TiffFile(io.BytesIO(response.content)) as tif:
        page = tif.pages[0]
        return page.asarray(), page.tags


def test_a_16_bit_original_exports_a_16_bit_tiff_with_its_tonal_steps(people, client_for):
    version = _approved(people, "I;16")
    pixels, tags = _tiff(client_for(people.viewer), version)
    assert pixels.dtype == np.uint16 and pixels.shape == (version.height, version.width, 3)
    assert tags["BitsPerSample"].value == (16, 16, 16)
    xmp = bytes(tags[700].value).decode("utf-8")
    assert "AI-colorized" in xmp or "trainedAlgorithmicMedia" in xmp
    assert 34675 in tags  # the sRGB profile
    # more distinct levels than 8 bits can hold: the original's 16-bit steps are there
    assert len(np.unique(pixels[..., 1])) > 256


def test_the_16_bit_export_has_the_originals_lightness_and_the_versions_colour(people, client_for):
    from PIL import Image

    version = _approved(people, "I;16")
    pixels, _tags = _tiff(client_for(people.viewer), version)
    with version.photo.original.open("rb") as f, Image.open(f) as original:
        gray = np.asarray(original, dtype=np.float64) / 65535
    exported = rgb2lab(pixels.astype(np.float64) / 65535)
    expected_l = rgb2lab(np.repeat(gray[..., None], 3, axis=2))[..., 0]
    assert np.abs(exported[..., 0] - expected_l).mean() < 0.5
    with version.result.open("rb") as f, Image.open(f) as result:
        rendered = rgb2lab(np.asarray(result.convert("RGB"), dtype=np.float64) / 255)
    chroma_gap = np.hypot(exported[..., 1] - rendered[..., 1], exported[..., 2] - rendered[..., 2])
    assert np.median(chroma_gap) < 3  # the same colours, up to gamut clipping at the extremes


def test_a_16_bit_draft_export_carries_its_draft_band(people, client_for):
    photo = make_photo(people.collection, people.curator, 400, 200, seed=6, mode="I;16", title="Draft")
    version = run_now(people.curator, photo).version
    pixels, _tags = _tiff(client_for(people.curator), version)
    band = pixels[2:12, 2:40].astype(np.int64)
    red = band[..., 0] - band[..., 2]
    assert pixels.dtype == np.uint16 and (red > 20000).mean() > 0.3  # the red DRAFT band


def test_an_8_bit_original_still_exports_an_8_bit_tiff(people, client_for):
    from PIL import Image

    version = _approved(people, "L")
    response = client_for(people.viewer).get(f"/api/versions/{version.pk}/export/", {"format": "tiff"})
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.mode == "RGB" and image.tag_v2[258] == (8, 8, 8)
