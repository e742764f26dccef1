"""CIE Lab <-> sRGB conversions in PyTorch, for training and inference on tensors.

The constants and the NumPy versions are in ml/colorspace.py (which the platform imports without torch).
"""

from __future__ import annotations

import torch

from .colorspace import EPS, KAPPA, RGB_FROM_XYZ, WHITE_D65, XYZ_FROM_RGB

# ----------------------------------------------------------------------------------------- torch versions

_T_XYZ_FROM_RGB = torch.tensor(XYZ_FROM_RGB, dtype=torch.float32)
_T_RGB_FROM_XYZ = torch.tensor(RGB_FROM_XYZ, dtype=torch.float32)
_T_WHITE = torch.tensor(WHITE_D65, dtype=torch.float32)


def torch_rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB to Lab. rgb: (B,3,H,W) float in [0,1]. Returns (B,3,H,W): L in [0,100], a,b in about [-128,127]."""
    lin = torch.where(rgb > 0.04045, ((rgb.clamp(min=0) + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = _T_XYZ_FROM_RGB.to(rgb.device, rgb.dtype)
    xyz = torch.einsum("ij,bjhw->bihw", m, lin) / _T_WHITE.to(rgb.device, rgb.dtype).view(1, 3, 1, 1)
    f = torch.where(xyz > EPS, xyz.clamp(min=1e-12) ** (1 / 3), KAPPA * xyz + 16.0 / 116.0)
    L = 116.0 * f[:, 1] - 16.0
    a = 500.0 * (f[:, 0] - f[:, 1])
    b = 200.0 * (f[:, 1] - f[:, 2])
    return torch.stack([L, a, b], dim=1)


def torch_lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab to sRGB. lab: (B,3,H,W), L in [0,100]. Returns (B,3,H,W) float in [0,1] (clipped)."""
    fy = (lab[:, 0] + 16.0) / 116.0
    fx = fy + lab[:, 1] / 500.0
    fz = (fy - lab[:, 2] / 200.0).clamp(min=0)
    f = torch.stack([fx, fy, fz], dim=1)
    f3 = f**3
    xyz = torch.where(f3 > EPS, f3, (f - 16.0 / 116.0) / KAPPA) * _T_WHITE.to(lab.device, lab.dtype).view(
        1, 3, 1, 1
    )
    lin = torch.einsum("ij,bjhw->bihw", _T_RGB_FROM_XYZ.to(lab.device, lab.dtype), xyz).clamp(min=0)
    rgb = torch.where(lin > 0.0031308, 1.055 * lin.clamp(min=1e-12) ** (1 / 2.4) - 0.055, 12.92 * lin)
    return rgb.clamp(0.0, 1.0)
