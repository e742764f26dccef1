"""Local chroma tools: resizing, guided upsampling of chroma by lightness, and the exact fix at verified hints.

`exact_fix` adds, around each anchor pixel, a small edge-aware bump (a Gaussian of a few pixels times a lightness
similarity term) whose amplitudes are solved so that the chroma at every anchor equals its hint (error ~1e-6 Lab
units). It is local by construction: it never spreads a hint over the photo (the network's learned propagation
does that, and stops at the hint's object).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def resize(x: np.ndarray, H: int, W: int, mode: str = "bilinear") -> np.ndarray:
    """Resize (h,w) or (h,w,C) float arrays to (H,W[,C]). mode: 'bilinear' or 'area'. Returns float32."""
    x = np.asarray(x, dtype=np.float32)
    t = torch.from_numpy(x[..., None] if x.ndim == 2 else x).permute(2, 0, 1)[None]
    if t.shape[-2:] == (H, W):
        return x
    if mode == "area":
        y = F.interpolate(t, size=(H, W), mode="area")
    else:
        y = F.interpolate(t, size=(H, W), mode="bilinear", align_corners=False, antialias=False)
    y = y[0].permute(1, 2, 0).numpy()
    return y[..., 0] if x.ndim == 2 else y


def box(x: torch.Tensor, r: int) -> torch.Tensor:
    """Mean over (2r+1)^2 windows with edge replication. x: (B,C,H,W) -> (B,C,H,W)."""
    k = 2 * r + 1
    return F.avg_pool2d(F.pad(x, (r, r, r, r), mode="replicate"), k, stride=1)


def guided_upsample(
    L_low: np.ndarray,
    ab_low: np.ndarray,
    L_high: np.ndarray,
    r: int = 2,
    eps: float = 4e-3,
    chunk_rows: int = 1024,
) -> np.ndarray:
    """Fast guided filter upsampling (He & Sun 2015) of chroma guided by lightness.

    L_low (h,w) and L_high (H,W) in [0,100]; ab_low (h,w,2) Lab units. The local linear model ab = A*L + b is fit
    at low resolution, its coefficients upsampled bilinearly and applied to the full-resolution L, so chroma edges
    follow the photo's edges while L itself is never changed. Returns ab (H,W,2) float32.
    """
    H, W = L_high.shape
    G = torch.from_numpy(np.asarray(L_low, np.float32) / 100.0)[None, None]
    p = torch.from_numpy(np.asarray(ab_low, np.float32)).permute(2, 0, 1)[None]
    mI, mp = box(G, r), box(p, r)
    cov = box(G * p, r) - mI * mp
    var = box(G * G, r) - mI * mI
    A = cov / (var + eps)
    b = mp - A * mI
    Ab = box(torch.cat([A, b], dim=1), r)
    out = np.empty((H, W, 2), dtype=np.float32)
    h, w = L_low.shape
    # bilinear upsampling of the coefficients in row chunks (keeps memory bounded for 12 MP scans)
    ys = (np.arange(H, dtype=np.float32) + 0.5) * h / H - 0.5
    xs = (np.arange(W, dtype=np.float32) + 0.5) * w / W - 0.5
    xs_n = torch.from_numpy(2 * (xs + 0.5) / w - 1)
    for r0 in range(0, H, chunk_rows):
        r1 = min(r0 + chunk_rows, H)
        ys_n = torch.from_numpy(2 * (ys[r0:r1] + 0.5) / h - 1)
        gy, gx = torch.meshgrid(ys_n, xs_n, indexing="ij")
        grid = torch.stack([gx, gy], dim=-1)[None]
        co = F.grid_sample(Ab, grid, mode="bilinear", padding_mode="border", align_corners=False)[0]
        Lh = torch.from_numpy(np.asarray(L_high[r0:r1], np.float32) / 100.0)
        out[r0:r1] = (co[:2] * Lh[None] + co[2:]).permute(1, 2, 0).numpy()
    return out


def exact_fix(
    L: np.ndarray,
    ab: np.ndarray,
    anchors: np.ndarray,
    targets: np.ndarray,
    s_px: float = 1.5,
    sigma_L: float = 4.0,
) -> np.ndarray:
    """Make ab equal targets at the anchor pixels with a small edge-aware correction (in place and returned).

    L (H,W) in [0,100]; ab (H,W,2) Lab units; anchors (K,2) int (row, col); targets (K,2) Lab units.
    The correction is sum_j alpha_j * phi_j(x), phi_j a Gaussian of s_px pixels times a lightness-similarity term,
    with alpha solved so that the result is exact at every anchor. Returns ab (H,W,2) float32.
    """
    if len(anchors) == 0:
        return ab
    H, W = L.shape
    anchors = np.asarray(anchors, dtype=np.int64)
    err = np.asarray(targets, np.float64) - ab[anchors[:, 0], anchors[:, 1]].astype(np.float64)
    La = L[anchors[:, 0], anchors[:, 1]].astype(np.float64)
    d2 = ((anchors[:, None, :] - anchors[None, :, :]) ** 2).sum(-1)
    Phi = np.exp(-d2 / (2 * s_px**2)) * np.exp(-((La[:, None] - La[None, :]) ** 2) / (2 * sigma_L**2))
    alpha = np.linalg.lstsq(Phi + 1e-9 * np.eye(len(Phi)), err, rcond=None)[0]
    R = int(np.ceil(3 * s_px))
    for (r, c), al in zip(anchors, alpha, strict=True):
        r0, r1, c0, c1 = max(r - R, 0), min(r + R + 1, H), max(c - R, 0), min(c + R + 1, W)
        yy, xx = np.mgrid[r0:r1, c0:c1]
        phi = np.exp(-((yy - r) ** 2 + (xx - c) ** 2) / (2 * s_px**2))
        phi = phi * np.exp(-((L[r0:r1, c0:c1] - L[r, c]) ** 2) / (2 * sigma_L**2))
        ab[r0:r1, c0:c1] += (phi[..., None] * al[None, None, :]).astype(np.float32)
    return ab
