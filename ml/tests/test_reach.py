"""Distances along the photo (ml/reach.py): short inside a region of even lightness, long across an edge."""

import numpy as np

from ml import Hint
from ml.colorizer import Colorizer
from ml.reach import distances

from .conftest import two_regions_far_square


def _at(d, shape, r, c):
    return d.reshape(shape)[r, c]


def test_on_an_even_photo_the_distance_is_close_to_the_straight_line():
    L = np.full((40, 80), 55.0)
    d = distances(L, np.array([[0.5 / 80, 0.5 / 40]]), edge=5.0)[0]
    for r, c in [(0, 79), (39, 0), (39, 79), (20, 40)]:
        straight = np.hypot(r, c) / 80
        assert abs(_at(d, L.shape, r, c) - straight) <= 0.09 * straight


def test_crossing_a_lightness_edge_costs_edge_times_the_step():
    L = np.full((20, 60), 30.0)
    L[:, 30:] = 80.0  # a step of 50 L at column 30
    p = np.array([[20.5 / 60, 10.5 / 20]])  # row 10, column 20
    flat = distances(L, p, edge=0.0)[0]
    edged = distances(L, p, edge=4.0)[0]
    # same side: no edge crossed, nothing added
    assert np.isclose(_at(edged, L.shape, 10, 10), _at(flat, L.shape, 10, 10))
    # across: exactly one crossing of 0.5 (in units of 100 L) x 4
    assert np.isclose(_at(edged, L.shape, 10, 40) - _at(flat, L.shape, 10, 40), 2.0, atol=1e-6)


def test_a_far_look_alike_region_is_further_than_the_far_end_of_the_hints_own_region():
    # dark left half, bright right half, dark square far away in the right half
    L = two_regions_far_square().astype(np.float64) / 255 * 100
    d = distances(L, np.array([[0.2, 0.5]]), edge=3.0)[0]
    own_far_corner = _at(d, L.shape, 2, 2)
    square = _at(d, L.shape, 70, 110)
    assert square > own_far_corner
    assert _at(distances(L, np.array([[0.2, 0.5]]), edge=0.0)[0], L.shape, 70, 110) < square


def test_tokens_keep_their_order_and_repeated_points_get_the_same_distances():
    L = np.random.default_rng(0).uniform(0, 100, (24, 24))
    pts = np.array([[0.9, 0.1], [0.1, 0.9], [0.9, 0.1]])
    d = distances(L, pts, edge=2.0)
    assert d.shape == (3, 24 * 24)
    assert np.array_equal(d[0], d[2])
    assert _at(d[0], L.shape, 2, 21) == 0.0 and _at(d[1], L.shape, 21, 2) == 0.0
    assert distances(L, np.zeros((0, 2)), edge=2.0).shape == (0, 24 * 24)


def test_with_reach_measured_along_the_photo_a_hint_stays_out_of_the_far_look_alike_square():
    g = two_regions_far_square()
    hint = [Hint(0.2, 0.5, "#b02020")]
    straight = Colorizer.untrained(seed=3, hint_reach=0.5, reach_edge=0.0)
    along = Colorizer.untrained(seed=3, hint_reach=0.5, reach_edge=20.0)
    moved = {}
    for name, c in [("straight", straight), ("along", along)]:
        base = c.colorize(g).ab
        res = c.colorize(g, hints=hint)
        assert max(res.hint_errors) <= 1.0
        moved[name] = np.linalg.norm(res.ab - base, axis=2)[62:78, 102:118].mean()
    # an untrained network's attention matches everything: straight reach lets the hint into the square
    assert moved["straight"] > 10.0
    assert moved["along"] < 0.1 * moved["straight"]
