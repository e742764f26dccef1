"""Tile geometry of the working pass: sizes scaled to a long side, overlapping tile starts, blend ramps."""

from __future__ import annotations

import numpy as np


def scaled(H: int, W: int, side: int) -> tuple[int, int]:
    """(H,W) shrunk (never enlarged) so that its long side is at most `side`; each at least 1."""
    s = min(1.0, side / max(H, W))
    return max(int(round(H * s)), 1), max(int(round(W * s)), 1)


def ramp(n: int, ov: int, lo_edge: bool, hi_edge: bool) -> np.ndarray:
    """Blend weights (n,) float32 in (0,1] of a tile of length n: linear over the `ov` samples that overlap a
    neighbour, 1 elsewhere and at a photo edge (lo_edge / hi_edge)."""
    w = np.ones(n, dtype=np.float32)
    if ov > 0:
        r = (np.arange(ov, dtype=np.float32) + 0.5) / ov
        if not lo_edge:
            w[:ov] = np.minimum(w[:ov], r)
        if not hi_edge:
            w[-ov:] = np.minimum(w[-ov:], r[::-1])
    return w


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of overlapping tiles of length `tile` covering n (n > tile)."""
    if n <= tile:
        return [0]
    stride = tile - overlap
    k = int(np.ceil((n - tile) / stride)) + 1
    return [int(round(i * (n - tile) / (k - 1))) for i in range(k)]
