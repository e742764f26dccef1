import json

import numpy as np
import pytest

from ml import Cancelled, Hint, Profile, build_profile

from .conftest import two_region_gray


def test_it_accepts_8_bit_16_bit_float_and_rgb_inputs_of_odd_and_tiny_sizes(colorizer):
    g = two_region_gray(37, 53)
    for x in (g, g.astype(np.uint16) * 257, g / 255.0, np.repeat(g[..., None], 3, axis=2)):
        res = colorizer.colorize(x)
        assert res.rgb.shape == (37, 53, 3) and res.rgb.dtype == np.uint8
        assert res.ab.shape == (37, 53, 2) and res.ab.dtype == np.float32
        assert res.uncertainty.shape == (37, 53) and 0 <= res.uncertainty.min() <= res.uncertainty.max() <= 1
    for shape in [(1, 1), (2, 7), (17, 1)]:
        assert colorizer.colorize(np.full(shape, 128, np.uint8)).rgb.shape == shape + (3,)


def test_it_keeps_the_photos_lightness(colorizer):
    from ml.colorspace import gray_to_l, lab_to_rgb

    g = two_region_gray()
    res = colorizer.colorize(g, hints=[Hint(0.25, 0.5, "#3060c0")])
    expected = lab_to_rgb(np.concatenate([gray_to_l(g)[..., None], res.ab], axis=2)) * 255
    assert np.abs(res.rgb.astype(np.float32) - expected).max() <= 0.51


def test_it_rejects_bad_inputs_with_value_errors(colorizer):
    for bad in (np.zeros((4, 4, 5)), np.zeros((0, 4), np.uint8), np.array([[np.nan]]), [[1, 2]]):
        with pytest.raises(ValueError):
            colorizer.colorize(bad)


def test_it_downscales_previews_and_reports_timings(colorizer):
    res = colorizer.colorize(two_region_gray(100, 200), hints=[Hint(0.5, 0.5, "#ff0000")], max_side=64)
    assert res.rgb.shape == (32, 64, 3)
    assert res.timings["total_s"] > 0 and res.model_version == "test-0"


def test_it_reports_progress_and_can_be_cancelled(colorizer):
    seen = []
    colorizer.colorize(two_region_gray(), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        colorizer.colorize(two_region_gray(), cancel=lambda: True)


def test_it_lowers_uncertainty_at_hints(colorizer):
    g = two_region_gray(64, 64)
    base = colorizer.colorize(g).uncertainty
    res = colorizer.colorize(g, hints=[Hint(0.5, 0.5, "#00aa00")])
    assert res.uncertainty[32, 32] < 0.2 * base[32, 32] + 1e-6


def test_it_suggests_k_colours_most_likely_first(colorizer):
    out = colorizer.suggest(two_region_gray(), point=(0.2, 0.4), k=8)
    assert len(out) == 8
    probs = [p for _, p in out]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
    assert all(h.startswith("#") and len(h) == 7 for h, _ in out)


def test_it_lists_the_gamut_at_a_lightness(colorizer):
    g = colorizer.gamut(60.0)
    assert len(g) > 50 and len(set(g)) > 50
    with pytest.raises(ValueError):
        colorizer.gamut(150)


def test_it_builds_profiles_that_survive_json_and_drive_the_global_hint(colorizer):
    rng = np.random.default_rng(0)
    red = np.zeros((20, 30, 3), np.uint8)
    red[..., 0] = 200
    p = build_profile([red, rng.integers(0, 255, (10, 10, 3), dtype=np.uint8)], name="test")
    q = Profile.from_dict(json.loads(json.dumps(p.to_dict())))
    assert np.allclose(p.hist, q.hist, atol=1e-5) and abs(p.saturation - q.saturation) < 1e-9
    g = two_region_gray()
    none = colorizer.colorize(g).ab
    a = colorizer.colorize(g, profile=p).ab
    b = colorizer.colorize(g, reference=red).ab
    blue = colorizer.colorize(g, reference=red[..., ::-1].copy()).ab
    # the global hint reaches the output: a profile or a reference changes the colours, different ones differently
    assert np.abs(a - none).mean() > 1e-3 and np.abs(b - blue).mean() > 1e-3
    # and a profile built from one photo is exactly that photo as a reference
    assert np.allclose(colorizer.colorize(g, profile=build_profile([red])).ab, b, atol=1e-4)
    with pytest.raises(ValueError):
        build_profile([])


def test_era_and_situation_are_no_longer_a_colorize_argument(colorizer):
    # their embeddings were never trained: era and situation adapt only through an adaptation (ml.adapt)
    with pytest.raises(TypeError):
        colorizer.colorize(two_region_gray(), context=object())
