import numpy as np
import pytest
import torch
from skimage.color import lab2rgb, rgb2lab

from ml.color import torch_lab_to_rgb, torch_rgb_to_lab
from ml.colorspace import (
    gray_to_l,
    hex_to_ab,
    hex_to_lab,
    hex_to_rgb,
    is_hex_color,
    lab_to_rgb,
    rgb_to_hex,
    rgb_to_l,
    rgb_to_lab,
)


def test_it_converts_rgb_to_lab_like_scikit_image():
    rgb = np.random.default_rng(0).random((2000, 3))
    assert np.abs(rgb_to_lab(rgb) - rgb2lab(rgb)).max() < 1e-3


def test_it_round_trips_lab_to_rgb_like_scikit_image():
    rgb = np.random.default_rng(1).random((2000, 3))
    lab = rgb2lab(rgb)
    assert np.abs(lab_to_rgb(lab) - lab2rgb(lab)).max() < 1e-3
    assert np.abs(lab_to_rgb(rgb_to_lab(rgb)) - rgb).max() < 1e-3


def test_it_matches_numpy_in_the_torch_conversions():
    rgb = np.random.default_rng(2).random((3, 16, 16)).astype(np.float32)
    t = torch.from_numpy(rgb)[None]
    lab_t = torch_rgb_to_lab(t)[0].permute(1, 2, 0).numpy()
    assert np.abs(lab_t - rgb2lab(rgb.transpose(1, 2, 0))).max() < 1e-3
    back = torch_lab_to_rgb(torch_rgb_to_lab(t))[0].numpy()
    assert np.abs(back - rgb).max() < 1e-3


def test_it_reads_8_bit_16_bit_and_float_gray_as_the_same_lightness():
    v = np.array([[0, 64, 128, 255]], dtype=np.uint8)
    L8 = gray_to_l(v)
    L16 = gray_to_l(v.astype(np.uint16) * 257)
    Lf = gray_to_l(v / 255.0)
    assert np.abs(L8 - L16).max() < 1e-3 and np.abs(L8 - Lf).max() < 1e-3
    assert abs(L8[0, 0]) < 1e-3 and abs(L8[0, 3] - 100) < 1e-3
    rgb = np.repeat(v[..., None], 3, axis=2)
    assert np.abs(rgb_to_l(rgb) - rgb2lab(rgb)[..., 0]).max() < 1e-3


def test_it_parses_hex_colours_and_rejects_bad_ones():
    assert hex_to_rgb("#ff8000") == (255, 128, 0)
    assert rgb_to_hex((255, 128, 0)) == "#ff8000"
    a, b = hex_to_ab("#808080")
    assert abs(a) < 1e-2 and abs(b) < 1e-2
    for bad in ["#12345", "red", "#gg0000", 123]:
        with pytest.raises(ValueError):
            hex_to_rgb(bad)


def test_it_gives_a_hex_colour_the_lab_of_scikit_image():
    for color in ["#b22222", "#ffffff", "#000000", "#3366cc"]:
        rgb = np.array([[int(color[i : i + 2], 16) for i in (1, 3, 5)]], dtype=np.float64) / 255.0
        assert hex_to_lab(color) == pytest.approx(tuple(rgb2lab(rgb)[0]), abs=1e-3)


def test_it_accepts_exactly_rrggbb_as_a_colour_string():
    assert is_hex_color("#b22222") and is_hex_color("#B22222")
    for bad in ["b22222", "#b2222", "#b222222", "#b22222\n", " #b22222", "#gg0000", None, 0xB22222]:
        assert not is_hex_color(bad)


def test_the_numpy_colour_math_imports_without_torch():
    """The platform computes a hint's Lab with ml.colorspace; that must not load torch (or the model)."""
    import subprocess
    import sys

    code = "import sys, ml.colorspace; print('torch' in sys.modules, 'ml.colorizer' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
