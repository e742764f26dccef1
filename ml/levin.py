"""Levin, Lischinski & Weiss 2004, "Colorization using Optimization", implemented with scipy.sparse.

Neighbouring pixels with similar lightness should have similar chroma: each unknown pixel's chroma equals the
affinity-weighted mean of its 3x3 neighbours, w_rs ~ exp(-(Y_r - Y_s)^2 / (2 sigma_r^2)) with sigma_r^2 the local
variance of Y; constrained pixels keep their given values. One sparse LU factorization solves all channels.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def affinity_matrix(
    L: np.ndarray, mask: np.ndarray, var_scale: float = 0.6, min_var: float = 2e-6, lam: float = 0.0
):
    """The system matrix A of the Levin solve. L: (H,W) lightness in [0,100]; mask: (H,W) bool constrained pixels.

    Rows of constrained pixels are identity rows; other rows are (1 + lam) I - W with W the normalized affinities
    (lam = 0 is Levin's formulation; lam > 0 makes the solution decay to 0 away from the constraints).
    Returns a (H*W, H*W) scipy.sparse.csc_matrix.
    """
    H, W = L.shape
    Y = np.asarray(L, dtype=np.float64) / 100.0
    Yp = np.pad(Y, 1, mode="edge")
    shifts = np.stack([Yp[1 + dr : 1 + dr + H, 1 + dc : 1 + dc + W] for dr, dc in OFFSETS])  # (8,H,W)
    win = np.concatenate([Y[None], shifts])
    var = np.maximum(win.var(axis=0) * var_scale, min_var)
    w = np.exp(-((shifts - Y[None]) ** 2) / var[None])
    rr, cc = np.mgrid[0:H, 0:W]
    valid = np.stack([(rr + dr >= 0) & (rr + dr < H) & (cc + dc >= 0) & (cc + dc < W) for dr, dc in OFFSETS])
    w = w * valid
    w /= np.maximum(w.sum(axis=0, keepdims=True), 1e-12)
    idx = np.arange(H * W).reshape(H, W)
    free = ~mask.ravel()
    rows, cols, vals = [idx.ravel()], [idx.ravel()], [np.where(free, 1.0 + lam, 1.0)]
    for k, (dr, dc) in enumerate(OFFSETS):
        v = valid[k].ravel() & free
        src = idx.ravel()[v]
        dst = (idx + dr * W + dc).ravel()[v]
        rows.append(src)
        cols.append(dst)
        vals.append(-w[k].ravel()[v])
    return sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(H * W, H * W)
    )


def propagate(L: np.ndarray, mask: np.ndarray, values: np.ndarray, decay: float | None = None) -> np.ndarray:
    """Propagate values from the constrained pixels to the whole image, edge-aware.

    L: (H,W) lightness in [0,100]; mask: (H,W) bool; values: (H,W,C) float (read only where mask is True).
    decay: None for Levin's flood fill; else the values fade to 0 over about decay * long side pixels.
    Returns (H,W,C) float32; equal to values at the constrained pixels. With no constrained pixel returns zeros.
    """
    H, W = L.shape
    mask = np.asarray(mask, dtype=bool)
    values = np.asarray(values, dtype=np.float64).reshape(H, W, -1)
    if not mask.any():
        return np.zeros(values.shape, dtype=np.float32)
    lam = 0.0 if decay is None else 1.0 / (decay * max(H, W)) ** 2
    A = affinity_matrix(L, mask, lam=lam)
    b = np.where(mask[..., None], values, 0.0).reshape(H * W, -1)
    x = spla.splu(A, permc_spec="MMD_AT_PLUS_A").solve(b)
    return x.reshape(values.shape).astype(np.float32)


def colorize(L: np.ndarray, hint_mask: np.ndarray, hint_ab: np.ndarray) -> np.ndarray:
    """Levin colorization. L: (H,W) in [0,100]; hint_mask (H,W) bool; hint_ab (H,W,2) Lab units. Returns ab (H,W,2)."""
    return propagate(L, hint_mask, hint_ab)
