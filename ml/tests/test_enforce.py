import numpy as np

from ml import Hint
from ml.enforce import guided_upsample
from ml.levin import propagate

from .conftest import two_region_gray


def _two_region_L(H=48, W=64):
    L = np.full((H, W), 30.0, np.float32)
    L[:, W // 2 :] = 75.0
    return L


def test_it_keeps_levin_constraints_exact():
    L = _two_region_L()
    mask = np.zeros(L.shape, bool)
    mask[10, 5] = mask[40, 60] = True
    vals = np.zeros(L.shape + (2,), np.float32)
    vals[10, 5] = (50, 10)
    vals[40, 60] = (-30, 40)
    out = propagate(L, mask, vals)
    assert np.abs(out[mask] - vals[mask]).max() < 1e-4


def test_it_makes_verified_hints_exact_on_a_two_region_image(colorizer):
    g = two_region_gray(64, 96)
    hints = [
        Hint(0.25, 0.5, "#c02020"),
        Hint(0.75, 0.3, "#2040c0", radius=0.03),
        Hint(0.6, 0.8, "#20a040", points=[(0.9, 0.9)], width=0.02),
    ]
    for kw in ({}, {"max_side": 48}):
        res = colorizer.colorize(g, hints=hints, **kw)
        assert len(res.hint_errors) == 3
        assert max(res.hint_errors) <= 1.0
        H, W = res.ab.shape[:2]
        for h in hints:
            for r, c in h.anchor_pixels(H, W):
                assert np.hypot(*(res.ab[r, c] - np.array(h.ab))) <= 1.0


def test_it_enforces_hints_exactly_on_a_big_tiled_image(colorizer):
    g = np.tile(two_region_gray(64, 96), (4, 4))
    res = colorizer.colorize(g, hints=[Hint(0.1, 0.1, "#ffcc00"), Hint(0.9, 0.95, "#0044ff", radius=0.001)])
    assert res.ab.shape == (256, 384, 2)
    assert max(res.hint_errors) <= 1.0


def test_it_leaves_unverified_hints_unenforced(colorizer):
    g = two_region_gray()
    res = colorizer.colorize(g, hints=[Hint(0.25, 0.5, "#c02020", verified=False)])
    assert res.hint_errors == []


def test_it_upsamples_chroma_guided_by_lightness_without_crossing_the_edge():
    Lh = _two_region_L(64, 128)
    Ll = Lh[::4, ::4]
    abl = np.zeros(Ll.shape + (2,), np.float32)
    abl[:, : Ll.shape[1] // 2] = 50
    out = guided_upsample(Ll, abl, Lh)
    assert out.shape == (64, 128, 2)
    assert out[:, :60].min() > 45 and np.abs(out[:, 68:]).max() < 5
