"""Quantized ab space: the in-gamut bins, the class-rebalancing prior, encode/decode and the annealed mean.

Bins are the centres of a GRID x GRID lattice on [-110,110]^2 that are reachable by some in-gamut sRGB colour
at some lightness L in [0,100] (Zhang et al. 2016 get 313 such bins with a grid of 10).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from .colorspace import AB_RANGE, lab_to_rgb, lab_to_rgb_unclipped, rgb_to_hex

GRID = 10.0


def _lattice(grid: float = GRID) -> np.ndarray:
    c = np.arange(-AB_RANGE, AB_RANGE + 1e-6, grid, dtype=np.float64)
    a, b = np.meshgrid(c, c, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1)


def _in_gamut(L: np.ndarray, ab: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Which (L, a, b) triples are inside the sRGB gamut. L: (N,), ab: (N,2). Returns (N,) bool."""
    rgb = lab_to_rgb_unclipped(np.concatenate([L[:, None], ab], axis=1))
    return np.all((rgb >= -tol) & (rgb <= 1 + tol), axis=1)


@lru_cache(maxsize=4)
def ab_bins(grid: float = GRID) -> np.ndarray:
    """The in-gamut ab bin centres. Returns (Q,2) float32, a,b in [-110,110] (Q = 262 for the default 10-unit grid)."""
    lat = _lattice(grid)
    # A bin is in gamut if any point of its cell (centre +- grid/2, sampled) is in gamut at any L.
    offs = np.linspace(-grid / 2, grid / 2, 5)
    keep = np.zeros(len(lat), dtype=bool)
    Ls = np.linspace(0, 100, 101)
    for da in offs:
        for db in offs:
            pts = lat + np.array([da, db])
            for L in Ls:
                todo = ~keep
                if not todo.any():
                    break
                keep[todo] |= _in_gamut(np.full(todo.sum(), L), pts[todo])
    return lat[keep].astype(np.float32)


def gamut_mask(L: float, grid: float = GRID) -> np.ndarray:
    """Which bins hold an in-gamut colour at lightness L (float in [0,100]). Returns (Q,) bool."""
    bins = ab_bins(grid).astype(np.float64)
    return _in_gamut(np.full(len(bins), float(L)), bins)


def gamut_hex(L: float, grid: float = GRID) -> list[str]:
    """The sRGB hex colours of the in-gamut bins at lightness L in [0,100], in bin order."""
    if not 0.0 <= float(L) <= 100.0:
        raise ValueError(f"L must be in [0,100], got {L}")
    bins = ab_bins(grid)
    m = gamut_mask(L, grid)
    lab = np.concatenate([np.full((int(m.sum()), 1), float(L)), bins[m]], axis=1)
    return [rgb_to_hex(c) for c in lab_to_rgb(lab)]


@lru_cache(maxsize=4)
def _lattice_lut(grid: float = GRID) -> np.ndarray:
    """For every point of the full lattice, the index of the nearest in-gamut bin. Returns (n,n) int64."""
    c = np.arange(-AB_RANGE, AB_RANGE + 1e-6, grid)
    lat = _lattice(grid)
    bins = ab_bins(grid)
    d = ((lat[:, None, :] - bins[None]) ** 2).sum(-1)
    return d.argmin(axis=1).reshape(len(c), len(c))


def encode(ab: np.ndarray | torch.Tensor, grid: float = GRID):
    """Nearest-bin index of each ab pair. ab: (...,2) in [-110,110] (NumPy) or (B,2,H,W) tensor.

    Returns int64 indices into ab_bins(): (...) for NumPy input, (B,H,W) for a tensor. Exact for ab inside an
    in-gamut cell; outside, the in-gamut bin nearest to the lattice point (values are clipped to the ab square).
    """
    lut = _lattice_lut(grid)
    n = lut.shape[0]
    if isinstance(ab, torch.Tensor):
        q = torch.round((ab.clamp(-AB_RANGE, AB_RANGE) + AB_RANGE) / grid).long().clamp(0, n - 1)
        t = torch.from_numpy(lut).to(ab.device).view(-1)
        return t[q[:, 0] * n + q[:, 1]]
    arr = np.asarray(ab, dtype=np.float32)
    q = np.clip(np.round((np.clip(arr, -AB_RANGE, AB_RANGE) + AB_RANGE) / grid).astype(np.int64), 0, n - 1)
    return lut[q[..., 0], q[..., 1]]


def decode(idx, grid: float = GRID) -> np.ndarray:
    """Bin indices (...) int -> their ab centres (...,2) float32 in [-110,110]."""
    return ab_bins(grid)[np.asarray(idx)]


def soft_encode(ab: np.ndarray, sigma: float = 5.0, k: int = 5, grid: float = GRID) -> np.ndarray:
    """Soft encoding (Zhang 2016): Gaussian weights on the k nearest bins. ab: (N,2). Returns (N,Q) float32 rows summing to 1."""
    bins = ab_bins(grid)
    ab = np.asarray(ab, dtype=np.float32).reshape(-1, 2)
    d2 = ((ab[:, None, :] - bins[None]) ** 2).sum(-1)
    nn = np.argsort(d2, axis=1)[:, :k]
    w = np.exp(-np.take_along_axis(d2, nn, axis=1) / (2 * sigma**2))
    w /= w.sum(axis=1, keepdims=True)
    out = np.zeros((len(ab), len(bins)), dtype=np.float32)
    np.put_along_axis(out, nn, w.astype(np.float32), axis=1)
    return out


def annealed_mean(logits: torch.Tensor, T: float = 0.38, grid: float = GRID) -> torch.Tensor:
    """Annealed mean of a bin distribution. logits: (B,Q,H,W). Returns ab (B,2,H,W) in [-110,110]."""
    p = F.softmax(logits / T, dim=1)
    tb = torch.from_numpy(ab_bins(grid)).to(logits.device, logits.dtype)
    return torch.einsum("bqhw,qc->bchw", p, tb)


def histogram(ab: np.ndarray, weights: np.ndarray | None = None, grid: float = GRID) -> np.ndarray:
    """Normalized histogram of ab pairs over the bins. ab: (...,2). Returns (Q,) float32 summing to 1 (or 0 if empty)."""
    idx = encode(np.asarray(ab).reshape(-1, 2), grid)
    h = np.bincount(
        idx, weights=None if weights is None else np.asarray(weights).ravel(), minlength=len(ab_bins(grid))
    )
    s = h.sum()
    return (h / s).astype(np.float32) if s > 0 else h.astype(np.float32)


def torch_histogram(ab: torch.Tensor, grid: float = GRID) -> torch.Tensor:
    """Per-image normalized ab histograms. ab: (B,2,H,W) in [-110,110]. Returns (B,Q) rows summing to 1."""
    Q = len(ab_bins(grid))
    idx = encode(ab, grid).flatten(1)
    h = torch.zeros(ab.shape[0], Q, device=ab.device, dtype=ab.dtype)
    h.scatter_add_(1, idx, torch.ones_like(idx, dtype=ab.dtype))
    return h / h.sum(dim=1, keepdim=True).clamp(min=1)


def rebalance_weights(
    prior: np.ndarray, lam: float = 0.5, sigma: float = 5.0, grid: float = GRID
) -> np.ndarray:
    """Class-rebalancing weights (Zhang 2016, eq. 4). prior: (Q,) empirical bin frequencies.

    The prior is smoothed with a Gaussian of sigma ab units, mixed with the uniform distribution by lam, inverted,
    and normalized so that the expected weight under the smoothed prior is 1. Returns (Q,) float32 > 0.
    """
    bins = ab_bins(grid).astype(np.float64)
    p = np.asarray(prior, dtype=np.float64)
    p = p / max(p.sum(), 1e-12)
    d2 = ((bins[:, None] - bins[None]) ** 2).sum(-1)
    K = np.exp(-d2 / (2 * sigma**2))
    ps = K @ p
    ps /= ps.sum()
    w = 1.0 / ((1 - lam) * ps + lam / len(p))
    w /= (ps * w).sum()
    return w.astype(np.float32)


def empirical_prior(ab_samples: list[np.ndarray], grid: float = GRID) -> np.ndarray:
    """Bin frequencies of ab pixels pooled over images. ab_samples: list of (...,2) arrays. Returns (Q,) summing to 1."""
    Q = len(ab_bins(grid))
    h = np.zeros(Q, dtype=np.float64)
    for ab in ab_samples:
        h += np.bincount(encode(np.asarray(ab).reshape(-1, 2), grid), minlength=Q)
    return (h / max(h.sum(), 1)).astype(np.float32)
