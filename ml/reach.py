"""How far a hint reaches: distances from hint tokens to every pixel, measured along the photo.

The attention of `ml/net.py` lowers a hint token's logit by `hint_reach` x its distance to a pixel. Measured in a
straight line (`edge = 0`), a hint fades with distance alike inside its object and beyond it. Measured along the
photo (`edge > 0`), every step also costs `edge` x the lightness change it crosses (in units of 100 L), so the
distance stays short inside a region of even lightness and jumps at an edge: a hint can fill a whole sky and
still not reach a look-alike region on the other side of a boundary. Shortest paths over the 8-neighbour grid
(Dijkstra, scipy.sparse.csgraph), all tokens at once.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

STEPS = [(0, 1), (1, -1), (1, 0), (1, 1)]  # half of the 8 neighbours; the graph is undirected


def grid_graph(L: np.ndarray, edge: float) -> sp.csr_matrix:
    """The 8-neighbour graph of an (h,w) lightness map in [0,100]: a step costs its length in long sides plus
    edge x |delta L| / 100. Returns an (h*w, h*w) symmetric sparse matrix."""
    h, w = L.shape
    long = max(h, w)
    Lf = np.asarray(L, np.float64) / 100.0
    idx = np.arange(h * w).reshape(h, w)
    rows, cols, vals = [], [], []
    for dr, dc in STEPS:
        r0, r1 = 0, h - dr
        c0, c1 = max(-dc, 0), w - max(dc, 0)
        a = idx[r0:r1, c0:c1]
        b = idx[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        cost = np.hypot(dr, dc) / long + edge * np.abs(
            Lf[r0:r1, c0:c1] - Lf[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        )
        # a zero weight would read as "no edge" in csgraph
        cost = np.maximum(cost, 1e-9)
        rows.append(a.ravel())
        cols.append(b.ravel())
        vals.append(cost.ravel())
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    G = sp.csr_matrix((v, (r, c)), shape=(h * w, h * w))
    return G + G.T


def distances(L: np.ndarray, points: np.ndarray, edge: float) -> np.ndarray:
    """Distance along the photo from each point to every pixel.

    L (h,w) in [0,100]; points (K,2) normalized (x = column / w, y = row / h) in [0,1]; edge >= 0.
    Returns (K, h*w) float32, in units of the long side (edge = 0: close to the straight-line distance).
    """
    h, w = L.shape
    K = len(points)
    if K == 0:
        return np.zeros((0, h * w), np.float32)
    P = np.asarray(points, np.float64).reshape(K, 2)
    cols = np.clip((P[:, 0] * w).astype(np.int64), 0, w - 1)
    rows = np.clip((P[:, 1] * h).astype(np.int64), 0, h - 1)
    src = rows * w + cols
    uniq, inv = np.unique(src, return_inverse=True)
    # the graph is symmetric already (G + G.T): directed search gives the same distances, faster
    d = dijkstra(grid_graph(L, edge), directed=True, indices=uniq)
    return d[inv].astype(np.float32)
