"""The model gateway (colorize/services/model.py): one colorizer, one grayscale rule, one context rule."""

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from archive.models import Era, Situation
from colorize.services import model, preview
from colorize.services.hints import do_add_hint, room_revision
from colorize.services.runs.execute import execute_run
from colorize.services.runs.request import do_create_run
from tests.factories import make_photo

_USED: list = []


def _counting_colorizer():
    """A factory for settings.COLORIZER: the shipped model, noting each time someone asks for it."""
    import ml

    _USED.append("asked")
    return ml.get_colorizer()


@pytest.fixture
def counting(settings):
    _USED.clear()
    settings.COLORIZER = "tests.test_model_gateway._counting_colorizer"
    return _USED


def test_runs_previews_and_suggestions_all_use_the_configured_colorizer(people, counting, settings):
    settings.JOB_BACKEND = "sync"
    photo = make_photo(people.collection)
    do_add_hint(people.curator, photo, {"x": 0.5, "y": 0.5, "color": "#aa3322"})
    frame = preview.compute_preview(photo.pk, room_revision(photo.pk))
    assert frame["type"] == "preview" and "error" not in frame
    assert len(counting) == 1
    suggestion = preview.suggest_colors(photo.pk, 0.5, 0.5, k=3)
    assert len(suggestion["colors"]) == 3 and len(counting) == 2
    run = do_create_run(people.curator, photo, {})
    assert execute_run(run.pk) == "done"
    assert len(counting) == 3


def _photo_with_original(collection, image: Image.Image, seed: int):
    photo = make_photo(collection, width=image.width, height=image.height, seed=seed)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    photo.original.save("scan.png", ContentFile(buffer.getvalue()), save=True)
    return photo


def test_a_16_bit_scan_keeps_every_level_at_full_resolution_and_scales_the_same_way_for_previews(people):
    values = (np.arange(40 * 30, dtype=np.uint32).reshape(30, 40) * 50 + 7).astype(np.uint16)
    photo = _photo_with_original(people.collection, Image.fromarray(values), seed=1)
    full = model.load_gray(photo)
    assert full.dtype == np.uint16 and np.array_equal(full, values)
    small = model.load_gray(photo, 20)
    assert small.dtype == np.uint16 and small.shape == (15, 20)
    assert abs(float(small.mean()) - float(values.mean())) < 0.01 * 65535


def test_an_8_bit_photo_is_read_as_8_bit_luminance(people):
    rgb = np.zeros((12, 16, 3), np.uint8)
    rgb[..., 0] = 200
    photo = _photo_with_original(people.collection, Image.fromarray(rgb, "RGB"), seed=2)
    gray = model.load_gray(photo)
    assert gray.dtype == np.uint8 and gray.shape == (12, 16)
    assert int(gray[0, 0]) == int(np.asarray(Image.fromarray(rgb, "RGB").convert("L"))[0, 0])


def test_the_primary_situation_is_the_first_by_slug_and_a_runs_choice_wins(people):
    photo = make_photo(people.collection, era=Era.objects.get(slug="korean-war"))
    first = Situation.objects.create(slug="aaa-first", name="zzz last by name")
    Situation.objects.create(slug="zzz-last", name="aaa first by name")
    photo.situations.set(Situation.objects.filter(slug__in=["aaa-first", "zzz-last"]))
    assert model.context_of(photo) == {"era": "korean-war", "situation": first.slug}
    protest = Situation.objects.get(slug="protest")
    assert model.context_of(photo, situation=protest) == {"era": "korean-war", "situation": "protest"}
