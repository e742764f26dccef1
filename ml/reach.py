"""How far a hint reaches: distances from hint tokens to every pixel, measured along the photo.

The attention of `ml/net.py` lowers a hint token's logit by `hint_reach` x its distance to a pixel. Measured in a
straight line (`edge = 0`), a hint fades with distance alike inside its object and beyond it. Measured along the
photo (`edge > 0`), every step also costs `edge` x the lightness change it crosses (in units of 100 L), so the
distance stays short inside a region of even lightness and jumps at an edge: a hint can fill a whole sky and
still not reach a look-alike region on the other side of a boundary. Shortest paths over the 8-neighbour grid
(Dijkstra, scipy.sparse.csgraph), all tokens at once.

Per hint (`ml.hints.REACHES`), `token_terms` turns the colorizer's token rows into the logit each token loses at
each pixel: "wide" uses the checkpoint's `hint_reach` / `reach_edge` (the behaviour before reach was per hint);
"region" and "object" use `REACH_SETTINGS` (a raised token logit, i.e. a per-token null bias, and a far costlier
lightness edge, measured also at full resolution so that a thin outline counts). A fence (`ml.hints.Fence`) removes the
grid's pixels under its stroke, so a distance across it is infinite and the token's logit there is -inf-like
(`BLOCKED_LOGIT`): no hint crosses it, whatever its reach. Design note: docs/model.md, "Reach per hint".
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .hints import REACHES, Fence

STEPS = [(0, 1), (1, -1), (1, 0), (1, 1)]  # half of the 8 neighbours; the graph is undirected

# The colorizer's token rows: (x, y, a, b, reach code, group); reach code = index in REACHES, FENCE for a fence
# sample (then a, b are 0 and group numbers the fence, so consecutive samples of one fence are joined).
TOKEN_COLS = 6
FENCE = len(REACHES)
# (logit lost per long side, lightness-edge cost, constant logit lost, fine edges) for the narrower reaches;
# chosen on the medal-on-khaki test image (ml/tests/test_hint_reach.py) and held-out training photos
# (bench/ml_reach_object.py, docs/model.md). Both raise the token's logit (a negative constant: the hint wins
# its own region outright) and make an edge very costly, its full-resolution crest included (`crests`), so the
# hint fills what lies inside the edges around it and stops at them; "object" stops harder than "region".
REACH_SETTINGS = {"object": (2.5, 40.0, -9.0, True), "region": (1.0, 20.0, -8.0, True)}
BLOCKED_LOGIT = 1e4  # a token's logit lowered by this much is gone from the softmax (exp(-1e4) == 0)
FENCE_STEP = 0.004  # fence samples along its polyline, in long sides


def reach_code(h) -> int:
    """The token-row code of a hint (index of its reach in REACHES) or a fence (FENCE)."""
    return FENCE if isinstance(h, Fence) else REACHES.index(h.reach)


def fence_rows(fence: Fence, H: int, W: int, group: int) -> np.ndarray:
    """A fence as token rows for an (H,W) photo: samples every FENCE_STEP of the long side along its polyline.
    Returns (N, TOKEN_COLS) float32."""
    P = fence.polyline()
    long = max(H, W)
    seg = []
    for p0, p1 in zip(P[:-1], P[1:], strict=True):
        d = np.hypot((p1[0] - p0[0]) * W, (p1[1] - p0[1]) * H) / long
        n = max(int(np.ceil(d / FENCE_STEP)), 1)
        t = np.linspace(0, 1, n + 1)[:-1, None]
        seg.append(p0 + t * (p1 - p0))
    seg.append(P[-1:])
    S = np.concatenate(seg)
    out = np.zeros((len(S), TOKEN_COLS), np.float32)
    out[:, :2] = S
    out[:, 4] = FENCE
    out[:, 5] = group
    return out


def fence_mask(rows: np.ndarray, h: int, w: int) -> np.ndarray:
    """The (h,w) bool grid cells a fence blocks. rows: (N, TOKEN_COLS) fence rows normalized to this grid.

    Consecutive samples of one fence are joined by a densely sampled segment and the line is widened by a plus
    (4-neighbour) dilation, so it is 4-connected: no 8-neighbour step can slip diagonally through it."""
    m = np.zeros((h, w), bool)
    if len(rows) == 0:
        return m
    P = rows[:, :2].astype(np.float64) * [w, h]
    pts = [P[:1]]
    for i in range(1, len(rows)):
        if rows[i, 5] == rows[i - 1, 5]:
            n = max(int(np.ceil(np.linalg.norm(P[i] - P[i - 1]) / 0.25)), 1)
            t = np.linspace(0, 1, n + 1)[1:, None]
            pts.append(P[i - 1] + t * (P[i] - P[i - 1]))
        else:
            pts.append(P[i : i + 1])
    Q = np.concatenate(pts)
    c = np.clip(Q[:, 0].astype(np.int64), 0, w - 1)
    r = np.clip(Q[:, 1].astype(np.int64), 0, h - 1)
    m[r, c] = True
    d = m.copy()
    d[1:] |= m[:-1]
    d[:-1] |= m[1:]
    d[:, 1:] |= m[:, :-1]
    d[:, :-1] |= m[:, 1:]
    return d


def grid_graph(
    L: np.ndarray, edge: float, blocked: np.ndarray | None = None, crest: np.ndarray | None = None
) -> sp.csr_matrix:
    """The 8-neighbour graph of an (h,w) lightness map in [0,100]: a step costs its length in long sides plus
    edge x |delta L| / 100, plus edge x the larger `crest` (h,w) of its two cells / 100 when given (the finest
    edges inside each cell, `crests`); no step enters or leaves a `blocked` (h,w) cell (a fence). Returns an
    (h*w, h*w) symmetric sparse matrix."""
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
        if crest is not None:
            cost = cost + edge / 100.0 * np.maximum(
                crest[r0:r1, c0:c1], crest[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
            )
        # a zero weight would read as "no edge" in csgraph
        cost = np.maximum(cost, 1e-9)
        keep = np.ones(a.shape, bool)
        if blocked is not None:
            keep = ~(blocked[r0:r1, c0:c1] | blocked[r0 + dr : r1 + dr, c0 + dc : c1 + dc])
        rows.append(a[keep])
        cols.append(b[keep])
        vals.append(cost[keep])
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    G = sp.csr_matrix((v, (r, c)), shape=(h * w, h * w))
    return G + G.T


def distances(
    L: np.ndarray, points: np.ndarray, edge: float, blocked: np.ndarray | None = None, crest=None
) -> np.ndarray:
    """Distance along the photo from each point to every pixel.

    L (h,w) in [0,100]; points (K,2) normalized (x = column / w, y = row / h) in [0,1]; edge >= 0; blocked (h,w)
    bool cells no path enters (a fence), or None.
    Returns (K, h*w) float32, in units of the long side (edge = 0: close to the straight-line distance); inf where
    a fence cuts the pixel off from the point.
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
    d = dijkstra(grid_graph(L, edge, blocked, crest), directed=True, indices=uniq)
    return d[inv].astype(np.float32)


CREST_FLOOR = 3.0  # L units: steps between neighbouring pixels below this are grain, not an edge


def crests(L: np.ndarray, h: int, w: int) -> np.ndarray:
    """The strongest step of L between neighbouring full-resolution pixels inside each cell of an (h,w) grid,
    less CREST_FLOOR (>= 0). A thin outline (a ribbon's border) that averaging L onto the coarse grid would
    wash out still costs its full step. L (H,W) [0,100], H and W multiples of h and w. Returns (h,w) float64."""
    H, W = L.shape
    Lf = np.asarray(L, np.float64)
    G = np.zeros((H, W))
    dx = np.abs(np.diff(Lf, axis=1))
    dy = np.abs(np.diff(Lf, axis=0))
    G[:, :-1] = np.maximum(G[:, :-1], dx)
    G[:, 1:] = np.maximum(G[:, 1:], dx)
    G[:-1] = np.maximum(G[:-1], dy)
    G[1:] = np.maximum(G[1:], dy)
    G = np.maximum(G - CREST_FLOOR, 0.0)
    return G[: h * (H // h), : w * (W // w)].reshape(h, H // h, w, W // w).max(axis=(1, 3))


def _straight(points: np.ndarray, h: int, w: int) -> np.ndarray:
    """Straight-line distance (long sides) from points (K,2) to the centres of an (h,w) grid: (K,h,w)."""
    aspect = np.array([w, h], np.float64) / max(h, w)
    ys = (np.arange(h) + 0.5) / h
    xs = (np.arange(w) + 0.5) / w
    pix = np.stack(np.meshgrid(xs, ys), -1) * aspect  # (h,w,2) as (x, y)
    tok = np.asarray(points, np.float64)[:, None, None, :] * aspect
    return np.linalg.norm(pix[None] - tok, axis=-1)


def token_terms(L: np.ndarray, rows: np.ndarray, hint_reach: float, reach_edge: float):
    """Split token rows into hint tokens and fences and give each hint token its logit penalty per pixel.

    L (H,W) [0,100] lightness of the network's (padded) input; rows (K, TOKEN_COLS) normalized to it.
    Returns (tokens (K',TOKEN_COLS) float32 without the fences, penalty (K',H/2,W/2) float32 or None). The penalty
    is what the attention subtracts from each token's logit at each 1/2-resolution pixel (`ml/net.py`); None
    means none at all (no reach, no fence, every hint "wide"): the network then runs as without reach.
    """
    H, W = L.shape
    h2, w2 = max(H // 2, 1), max(W // 2, 1)
    rows = np.asarray(rows, np.float32).reshape(-1, TOKEN_COLS)
    is_fence = rows[:, 4] == FENCE
    toks, fences = rows[~is_fence], rows[is_fence]
    codes = toks[:, 4].astype(np.int64)
    wide = REACHES.index("wide")
    if len(toks) == 0 or (not len(fences) and (codes == wide).all() and hint_reach <= 0):
        return toks, None
    settings = {wide: (hint_reach, reach_edge, 0.0, False)}
    for name, (r, e, b, fine) in REACH_SETTINGS.items():
        settings[REACHES.index(name)] = (max(r, hint_reach), max(e, reach_edge), b, fine)
    h4, w4 = max(H // 4, 1), max(W // 4, 1)
    L4 = None
    blocked = None
    if len(fences):
        blocked = fence_mask(fences, h4, w4)
    pen = np.zeros((len(toks), h2, w2), np.float32)
    for code in np.unique(codes):
        sel = codes == code
        r, e, b, fine = settings[int(code)]
        pts = toks[sel, :2]
        if e <= 0 and blocked is None:
            pen[sel] = r * _straight(pts, h2, w2) + b
            continue
        if L4 is None:
            t = np.asarray(L, np.float64)
            L4 = t[: h4 * (H // h4), : w4 * (W // w4)].reshape(h4, H // h4, w4, W // w4).mean(axis=(1, 3))
        crest = crests(L, h4, w4) if fine else None
        d = distances(L4, pts, e, blocked, crest).reshape(-1, h4, w4)
        fin = np.isfinite(d)
        p4 = np.where(fin, r * np.where(fin, d, 0.0) + b, BLOCKED_LOGIT)
        pen[sel] = _upsample(p4, h2, w2)
    return toks, pen


def _upsample(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear (align_corners=False) upsampling of (K,h0,w0) to (K,h,w), like F.interpolate."""
    K, h0, w0 = x.shape

    def idx(n_out, n_in):
        s = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        s = np.clip(s, 0, n_in - 1)
        i0 = np.floor(s).astype(np.int64)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, (s - i0).astype(np.float32)

    r0, r1, fr = idx(h, h0)
    c0, c1, fc = idx(w, w0)
    top = x[:, r0][:, :, c0] * (1 - fc) + x[:, r0][:, :, c1] * fc
    bot = x[:, r1][:, :, c0] * (1 - fc) + x[:, r1][:, :, c1] * fc
    return (top * (1 - fr[:, None]) + bot * fr[:, None]).astype(np.float32)
