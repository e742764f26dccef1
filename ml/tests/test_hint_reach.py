"""Reach per hint and fences (ml/hints.py, ml/reach.py): a hint that stays on its object, a stroke none crosses."""

import numpy as np
import pytest

from ml import Fence, Hint
from ml.checkpoint import DEFAULT_CHECKPOINT
from ml.colorizer import Colorizer, hint_tokens
from ml.reach import FENCE, distances, fence_mask, fence_rows, token_terms

from .conftest import two_region_gray


def medal_on_khaki(H: int = 192, W: int = 256):
    """A small striped, outlined ribbon (rows 70-86, columns 120-140) on a large khaki field of the same mean
    lightness, dark margins at the sides. Returns (gray (H,W) uint8, (r0, r1, c0, c1) of the ribbon)."""
    rng = np.random.default_rng(1)
    g = np.full((H, W), 130.0)
    g[:, :30] = 40
    g[:, -30:] = 40
    r0, r1, c0, c1 = 70, 86, 120, 140
    g[r0:r1, c0:c1] = np.where((np.arange(c0, c1) // 4) % 2 == 0, 122, 138)[None, :]
    g[r0 - 1 : r1 + 1, [c0 - 1, c1]] = 110
    g[[r0 - 1, r1], c0 - 1 : c1 + 1] = 110
    g += rng.normal(0, 2, g.shape)
    return np.clip(g, 0, 255).astype(np.uint8), (r0, r1, c0, c1)


def test_a_hint_refuses_an_unknown_reach_and_keeps_wide_as_its_default():
    with pytest.raises(ValueError, match="reach"):
        Hint(0.5, 0.5, "#aa0000", reach="everywhere")
    assert Hint(0.5, 0.5, "#aa0000").reach == "wide"
    with pytest.raises(ValueError):
        Fence(0.1, 0.1, points=[])
    with pytest.raises(ValueError):
        Fence(0.1, 0.1, points=[(1.5, 0.2)])


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.exists(), reason="no shipped checkpoint")
def test_a_red_hint_with_reach_object_on_a_ribbon_does_not_turn_the_khaki_field_pink():
    c = Colorizer.load()
    g, (r0, r1, c0, c1) = medal_on_khaki()
    H, W = g.shape
    base = c.colorize(g).ab
    field = np.ones(g.shape, bool)
    field[r0 - 8 : r1 + 8, c0 - 8 : c1 + 8] = False
    field[:, :30] = field[:, -30:] = False
    moved = {}
    for reach in ("wide", "object"):
        hint = Hint((c0 + c1) / 2 / W, (r0 + r1) / 2 / H, "#c02030", radius=0.02, reach=reach)
        res = c.colorize(g, hints=[hint])
        assert max(res.hint_errors) <= 1.0
        moved[reach] = np.linalg.norm(res.ab - base, axis=2)
    # as the curator saw it: the wide hint floods the field of the same lightness
    assert moved["wide"][field].mean() > 20.0
    # "this object": the field stays as it was, the ribbon's centre takes the red
    assert moved["object"][field].mean() < 1.0
    assert np.percentile(moved["object"][field], 99) < 4.0
    rc, cc = (r0 + r1) // 2, (c0 + c1) // 2
    assert moved["object"][rc - 2 : rc + 2, cc - 2 : cc + 2].mean() > 20.0


def test_a_fence_cuts_the_distance_to_everything_behind_it_even_on_a_diagonal():
    L = np.full((40, 40), 50.0)
    rows = fence_rows(Fence(0.0, 1.0, points=[(1.0, 0.0)]), 40, 40, group=0)
    blocked = fence_mask(rows, 40, 40)
    d = distances(L, np.array([[0.1, 0.1]]), edge=0.0, blocked=blocked)[0].reshape(40, 40)
    assert np.isfinite(d[2, 2]) and np.isfinite(d[10, 10])
    assert np.isinf(d[37, 37]) and np.isinf(d[30, 25])
    open_ = distances(L, np.array([[0.1, 0.1]]), edge=0.0)[0].reshape(40, 40)
    assert np.isfinite(open_[37, 37])


def test_token_rows_carry_each_hints_reach_and_a_fence_is_not_a_colour_token():
    hints = [
        Hint(0.2, 0.5, "#b02020", reach="object"),
        Fence(0.5, 0.0, points=[(0.5, 1.0)]),
        Hint(0.8, 0.5, "#2020b0"),
    ]
    rows = hint_tokens(hints, 64, 64)
    assert (rows[:, 4] == FENCE).sum() > 10
    L = np.full((64, 64), 50.0)
    toks, pen = token_terms(L, rows, hint_reach=0.0, reach_edge=0.0)
    assert len(toks) == 2 and list(toks[:, 4]) == [0, 2]
    # the wide hint on the right has no reach of its own, but cannot cross the fence to the left half
    assert pen[1, 16, 24] == 0.0 and pen[1, 16, 4] > 100
    assert pen[0, 16, 4] < pen[0, 16, 14]
    assert token_terms(L, hint_tokens(hints[2:], 64, 64), 0.0, 0.0)[1] is None


def test_with_a_fence_a_hint_leaves_the_far_side_as_it_was():
    c = Colorizer.untrained(seed=3)
    g = two_region_gray(96, 128)
    g[:, 64:] = g[:, :64]  # one even dark field: nothing but the fence stops the hint
    hint = Hint(0.2, 0.5, "#b02020")
    fence = Fence(0.5, 0.0, points=[(0.5, 1.0)])
    base = c.colorize(g).ab
    open_ = np.linalg.norm(c.colorize(g, hints=[hint]).ab - base, axis=2)
    fenced = np.linalg.norm(c.colorize(g, hints=[hint, fence]).ab - base, axis=2)
    assert open_[:, 80:].mean() > 10.0
    assert fenced[:, 80:].mean() < 0.05 * open_[:, 80:].mean()
    assert fenced[:, :40].mean() > 0.5 * open_[:, :40].mean()
