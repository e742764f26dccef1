"""Hint propagation with the shipped network: a hint colours its own region and nothing far away."""

import numpy as np
import pytest

from ml import Hint, get_colorizer
from ml.colorizer import DEFAULT_CHECKPOINT

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
