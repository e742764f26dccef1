"""CIE Lab <-> sRGB conversions (D65, 2 degree observer) and colour strings, in NumPy only.

The single home of every colour constant, of the network's Lab normalization and of the "#rrggbb" check.
It imports neither torch nor the rest of `ml`, so the platform uses it for its colour math (a hint's Lab, the
chroma check of a run) without loading the model. The formulas match scikit-image's ``rgb2lab`` /
``lab2rgb`` so results can be compared with it. The PyTorch versions are in ml/color.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

# sRGB (linear) -> XYZ, D65; identical to scikit-image's ``xyz_from_rgb``.
XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=np.float64,
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)
EPS = 0.008856  # CIE (6/29)^3 as rounded by scikit-image
KAPPA = 7.787  # CIE slope of the linear segment as rounded by scikit-image

# Network normalization: L in [0,100] -> [-1,1]; a,b in about [-110,110] -> about [-1,1].
L_CENTER = 50.0
L_SCALE = 50.0
AB_SCALE = 110.0
AB_RANGE = 110.0  # the ab plane covered by the bins is [-AB_RANGE, AB_RANGE]^2


def _srgb_to_linear(c):
    return np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)


def _linear_to_srgb(c):
    c = np.clip(c, 0.0, None)
    return np.where(c > 0.0031308, 1.055 * np.power(c, 1 / 2.4) - 0.055, 12.92 * c)


def _unit(rgb, dtype) -> np.ndarray:
    """uint8 / uint16 / float input as `dtype` in [0,1] (floats are taken as already in [0,1])."""
    rgb = np.asarray(rgb)
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(rgb.dtype)
    return rgb.astype(dtype) / scale if scale else rgb.astype(dtype)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB to Lab. rgb: (...,3) float in [0,1] or uint8 in [0,255]. Returns (...,3) float32, L in [0,100]."""
    rgb = _unit(rgb, np.float64)
    if rgb.shape[-1] != 3:
        raise ValueError(f"rgb_to_lab expects (...,3) input, got shape {rgb.shape}")
    xyz = _srgb_to_linear(rgb) @ XYZ_FROM_RGB.T / WHITE_D65
    f = np.where(xyz > EPS, np.cbrt(xyz), KAPPA * xyz + 16.0 / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1).astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Lab to sRGB. lab: (...,3), L in [0,100], a,b in about [-128,127]. Returns (...,3) float32 in [0,1] (clipped)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = np.clip(fy - lab[..., 2] / 200.0, 0.0, None)
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f**3 > EPS, f**3, (f - 16.0 / 116.0) / KAPPA) * WHITE_D65
    rgb = _linear_to_srgb(xyz @ RGB_FROM_XYZ.T)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def lab_to_rgb_unclipped(lab: np.ndarray) -> np.ndarray:
    """Lab to sRGB without the final clip. lab: (...,3). Returns (...,3) float64; values outside [0,1] = out of gamut."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f**3 > EPS, f**3, (f - 16.0 / 116.0) / KAPPA) * WHITE_D65
    lin = xyz @ RGB_FROM_XYZ.T
    return np.where(
        lin > 0.0031308, 1.055 * np.power(np.abs(lin), 1 / 2.4) * np.sign(lin) - 0.055, 12.92 * lin
    )


def rgb_to_l(rgb: np.ndarray) -> np.ndarray:
    """Lightness only. rgb: (...,3) uint8/uint16 or float in [0,1]. Returns (...) float32, L in [0,100]."""
    rgb = _unit(rgb, np.float32)
    y = _srgb_to_linear(rgb) @ XYZ_FROM_RGB[1].astype(np.float32)
    return gray_linear_to_l(y)


def gray_to_l(gray: np.ndarray) -> np.ndarray:
    """A grayscale photo's lightness. gray: (H,W) uint8, uint16, or float in [0,1] (sRGB-encoded values).

    Returns (H,W) float32, L in [0,100]. A gray pixel v is treated as the sRGB colour (v, v, v).
    """
    g = np.asarray(gray)
    if g.dtype == np.uint8:
        return _gray_lut(8)[g]
    if g.dtype == np.uint16:
        return _gray_lut(16)[g]
    if np.issubdtype(g.dtype, np.floating) or g.dtype == np.bool_:
        g = np.clip(g.astype(np.float32), 0.0, 1.0)
    else:
        raise ValueError(f"unsupported grayscale dtype {g.dtype}; use uint8, uint16 or float in [0,1]")
    return gray_linear_to_l(_srgb_to_linear(g).astype(np.float32))


@lru_cache(maxsize=2)
def _gray_lut(bits: int) -> np.ndarray:
    """L of every 8- or 16-bit gray value. Returns (2**bits,) float32 in [0,100]."""
    v = np.arange(2**bits, dtype=np.float64) / (2**bits - 1)
    return gray_linear_to_l(_srgb_to_linear(v)).astype(np.float32)


def gray_linear_to_l(y: np.ndarray) -> np.ndarray:
    """Relative luminance Y (...) float in [0,1] to L (...) float32 in [0,100]."""
    y = np.asarray(y, dtype=np.float32)
    f = np.where(y > EPS, np.cbrt(np.clip(y, 0, None)), KAPPA * y + 16.0 / 116.0)
    return (116.0 * f - 16.0).astype(np.float32)


# The one check of a colour string: exactly "#rrggbb" (used with fullmatch: "$" would let a trailing newline through).
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def is_hex_color(value) -> bool:
    """True for a string that is exactly '#rrggbb' (either case), False for anything else."""
    return isinstance(value, str) and HEX_COLOR.fullmatch(value) is not None


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' (or 'rrggbb') to an (r, g, b) tuple of ints in [0,255]. Raises ValueError on a bad string."""
    if not isinstance(color, str):
        raise ValueError(f"colour must be a '#rrggbb' string, got {color!r}")
    s = "#" + color.strip().lstrip("#")
    if not is_hex_color(s):
        raise ValueError(f"bad colour {color!r}: expected '#rrggbb'")
    return int(s[1:3], 16), int(s[3:5], 16), int(s[5:7], 16)


def rgb_to_hex(rgb) -> str:
    """(r, g, b) ints in [0,255] or floats in [0,1] (if all <= 1 and float) to '#rrggbb'."""
    arr = np.asarray(rgb, dtype=np.float64)
    if np.issubdtype(np.asarray(rgb).dtype, np.floating):
        arr = arr * 255.0
    r, g, b = (int(v) for v in np.clip(np.round(arr), 0, 255))
    return f"#{r:02x}{g:02x}{b:02x}"


def hex_to_lab(color: str) -> tuple[float, float, float]:
    """'#rrggbb' to the CIE Lab of that sRGB colour: L in [0,100], a,b floats in about [-128,127]."""
    lab = rgb_to_lab(np.array(hex_to_rgb(color), dtype=np.uint8)[None])[0]
    return float(lab[0]), float(lab[1]), float(lab[2])


def hex_to_ab(color: str) -> tuple[float, float]:
    """'#rrggbb' to the (a, b) chroma of that sRGB colour, floats in about [-128,127]."""
    _, a, b = hex_to_lab(color)
    return a, b


def normalize_l(L):
    """L (any shape) in [0,100] -> network input in [-1,1]."""
    return (L - L_CENTER) / L_SCALE


def normalize_ab(ab):
    """ab (any shape) in about [-110,110] -> network scale about [-1,1]."""
    return ab / AB_SCALE


def denormalize_ab(x):
    """Network-scale ab (any shape) in about [-1,1] -> ab in about [-110,110]."""
    return x * AB_SCALE
