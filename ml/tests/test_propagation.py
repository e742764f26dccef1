"""Hint propagation with the shipped network: a hint colours its own region and nothing far away."""

import numpy as np
import pytest

from ml import Colorizer, Hint, get_colorizer
from ml.checkpoint import DEFAULT_CHECKPOINT

from .conftest import two_regions_far_square

pytestmark = pytest.mark.skipif(not DEFAULT_CHECKPOINT.exists(), reason="no shipped checkpoint")


def test_a_single_verified_hint_does_not_recolour_far_away_regions():
    c = get_colorizer()
    g = two_regions_far_square()
    base = c.colorize(g).ab
    hint = Hint(0.2, 0.5, "#b02020")  # a strong red on the dark left half
    res = c.colorize(g, hints=[hint])
    assert max(res.hint_errors) <= 1.0
    change = np.linalg.norm(res.ab - base, axis=2)
    # the right half (another region) and the dark square inside it (similar lightness, far away) stay as they were
    assert change[:, 72:].mean() < 2.0
    assert change[62:78, 102:118].mean() < 4.0
    # while the hint colours a good part of its own region, not only its pixel
    assert change[:, 8:56].mean() > 5.0


def test_verified_hints_are_exact_and_one_hint_moves_the_photo_toward_it():
    c = get_colorizer()
    g = two_regions_far_square()
    hints = [Hint(0.2, 0.3, "#3050c0"), Hint(0.8, 0.2, "#c09030", points=[(0.9, 0.25)])]
    res = c.colorize(g, hints=hints)
    assert len(res.hint_errors) == 2 and max(res.hint_errors) <= 1.0
    a_left = res.ab[10:50, 10:40].mean(axis=(0, 1))
    assert np.dot(a_left, np.array(hints[0].ab)) > 0  # the left region leans toward the blue hint


def test_the_annealed_mean_makes_automatic_colour_more_colourful_and_keeps_hints_exact():
    g = two_regions_far_square()
    chroma = {}
    for mix in (0.0, 0.2):
        c = Colorizer.load(anneal_mix=mix, anneal_mix_hinted=mix)
        chroma[mix] = float(np.linalg.norm(c.colorize(g).ab, axis=2).mean())
        res = c.colorize(g, hints=[Hint(0.2, 0.5, "#b02020", verified=True)])
        assert max(res.hint_errors) <= 1.0
    # moving toward the annealed mean of the bin distribution (a sharper pick than the regression's mean)
    assert chroma[0.2] > chroma[0.0] + 2.0


def test_placing_a_hint_does_not_turn_the_rest_of_the_photo_greyer():
    # the shipped settings: far from a hint, the photo keeps the colour it had with no hint at all
    c = get_colorizer()
    g = two_regions_far_square()
    auto = np.linalg.norm(c.colorize(g).ab, axis=2)[:, 72:].mean()
    hinted = np.linalg.norm(c.colorize(g, hints=[Hint(0.2, 0.5, "#b02020")]).ab, axis=2)[:, 72:].mean()
    assert hinted > auto - 1.0
