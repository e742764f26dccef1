"""User hints: the Hint type, rasterization of points and brush strokes, and seeded evaluation hints.

Coordinates are normalized: x = column / W, y = row / H, both in [0,1]; radius and width are fractions of the
image's long side. A hint fixes chroma (a, b) only; lightness always comes from the photo.

Each hint has a reach (`REACHES`): "wide" (the checkpoint's own reach, as before reach existed), "region" or
"object" (a hint that stays on its own object, even where a look-alike of the same lightness touches it). A Fence
is a stroke no hint crosses. How a reach and a fence act on the attention: `ml/reach.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .colorspace import hex_to_ab

# A hint's reach, narrowest first; "wide" is the default and the behaviour of hints before reach existed.
REACHES = ("object", "region", "wide")


@dataclass(frozen=True)
class Hint:
    """One user hint: a point (x, y, radius) or, when points is given, a brush stroke (polyline) of the given width."""

    x: float
    y: float
    color: str
    radius: float = 0.01
    points: list[tuple[float, float]] | None = None
    width: float = 0.01
    verified: bool = True
    lab_ab: tuple[float, float] | None = None  # optional exact chroma; overrides `color` (used by evaluation)
    reach: str = "wide"  # one of REACHES: how far the hint spreads beyond the pixels it covers

    def __post_init__(self):
        if self.reach not in REACHES:
            raise ValueError(f"hint reach must be one of {', '.join(REACHES)}, got {self.reach!r}")
        if self.lab_ab is None:
            hex_to_ab(self.color)  # raises ValueError on a bad colour
        coords = [(self.x, self.y)] + list(self.points or [])
        for px, py in coords:
            if not (np.isfinite(px) and np.isfinite(py) and 0.0 <= px <= 1.0 and 0.0 <= py <= 1.0):
                raise ValueError(f"hint coordinates must be normalized to [0,1], got ({px}, {py})")
        if not (self.radius >= 0 and self.width >= 0):
            raise ValueError("hint radius and width must be >= 0")

    @property
    def ab(self) -> tuple[float, float]:
        """The hint's chroma (a, b) in Lab units."""
        if self.lab_ab is not None:
            return float(self.lab_ab[0]), float(self.lab_ab[1])
        return hex_to_ab(self.color)

    def anchor_pixels(self, H: int, W: int, step: float = 2.0) -> np.ndarray:
        """Pixels (row, col) where this hint is enforced exactly at an (H,W) resolution. Returns (K,2) int.

        A point gives its centre; a stroke gives samples along its polyline every `step` pixels.
        """
        pts = [(self.x, self.y)] + list(self.points or [])
        P = np.array([[min(py * H, H - 1e-3), min(px * W, W - 1e-3)] for px, py in pts], dtype=np.float64)
        if len(P) == 1:
            out = P
        else:
            segs = []
            for p0, p1 in zip(P[:-1], P[1:], strict=True):
                n = max(int(np.ceil(np.linalg.norm(p1 - p0) / step)), 1)
                t = np.linspace(0, 1, n + 1)[:, None]
                segs.append(p0 + t * (p1 - p0))
            out = np.concatenate(segs)
        rc = np.floor(out).astype(np.int64)
        rc[:, 0] = rc[:, 0].clip(0, H - 1)
        rc[:, 1] = rc[:, 1].clip(0, W - 1)
        return rc if len(rc) == 1 else np.unique(rc, axis=0)


@dataclass(frozen=True)
class Fence:
    """A stroke no hint crosses: a polyline (x, y) + points, normalized to [0,1] like a hint's. It has no colour
    and colours nothing; a hint's attention is cut off on the far side of it (`ml/reach.py`)."""

    x: float
    y: float
    points: list[tuple[float, float]]
    verified = False  # never an anchor
    radius = 0.0

    def __post_init__(self):
        coords = [(self.x, self.y)] + list(self.points or [])
        if len(coords) < 2:
            raise ValueError("a fence needs at least two points")
        for px, py in coords:
            if not (np.isfinite(px) and np.isfinite(py) and 0.0 <= px <= 1.0 and 0.0 <= py <= 1.0):
                raise ValueError(f"fence coordinates must be normalized to [0,1], got ({px}, {py})")

    def polyline(self) -> np.ndarray:
        """(N,2) float64 points (x, y)."""
        return np.array([(self.x, self.y)] + list(self.points), dtype=np.float64)


def hint_footprint(h: Hint, H: int, W: int) -> tuple[slice, slice, np.ndarray]:
    """The pixels a hint covers at resolution (H,W) (always at least one pixel).

    Returns (row slice, column slice, boolean mask of that window), so big images cost only the hint's window.
    """
    long = max(H, W)
    pts = [(h.x * W, h.y * H)] + [(px * W, py * H) for px, py in (h.points or [])]
    reach = max(h.width * long / 2.0, 0.75) if h.points else max(h.radius * long, 0.75)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    r0, r1 = max(int(np.floor(min(ys) - reach)) - 1, 0), min(int(np.ceil(max(ys) + reach)) + 1, H)
    c0, c1 = max(int(np.floor(min(xs) - reach)) - 1, 0), min(int(np.ceil(max(xs) + reach)) + 1, W)
    rr = np.arange(r0, r1)[:, None] + 0.5
    cc = np.arange(c0, c1)[None, :] + 0.5
    if h.points:
        d2 = np.full((r1 - r0, c1 - c0), np.inf)
        for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:], strict=True):
            dx, dy = x1 - x0, y1 - y0
            L2 = dx * dx + dy * dy
            t = np.zeros_like(d2) if L2 == 0 else np.clip(((cc - x0) * dx + (rr - y0) * dy) / L2, 0, 1)
            d2 = np.minimum(d2, (cc - x0 - t * dx) ** 2 + (rr - y0 - t * dy) ** 2)
        m = d2 <= reach * reach
    else:
        m = (cc - h.x * W) ** 2 + (rr - h.y * H) ** 2 <= reach * reach
    for r_, c_ in h.anchor_pixels(H, W):
        m[r_ - r0, c_ - c0] = True
    return slice(r0, r1), slice(c0, c1), m


def rasterize(hints, H: int, W: int) -> tuple[np.ndarray, np.ndarray]:
    """Rasterize hints at (H,W). Returns ab (2,H,W) float32 in Lab units and mask (1,H,W) float32 in {0,1}.

    Later hints overwrite earlier ones where they overlap.
    """
    ab = np.zeros((2, H, W), dtype=np.float32)
    mask = np.zeros((1, H, W), dtype=np.float32)
    for h in hints:
        rs, cs, m = hint_footprint(h, H, W)
        a, b = h.ab
        ab[0, rs, cs][m] = a
        ab[1, rs, cs][m] = b
        mask[0, rs, cs][m] = 1.0
    return ab, mask


def sample_eval_hints(
    ab: np.ndarray, n: int, seed: int, size: int = 3
) -> list[tuple[int, int, float, float]]:
    """Seeded evaluation hints: n uniform random size x size patches. ab: (H,W,2) ground-truth chroma.

    Returns a list of (row, col, a, b): the patch centre and the mean ab of the patch. The same seed gives the
    same hints for every method.
    """
    rng = np.random.default_rng(seed)
    H, W = ab.shape[:2]
    out = []
    for _ in range(n):
        r, c = int(rng.integers(0, H)), int(rng.integers(0, W))
        r0, c0 = max(r - size // 2, 0), max(c - size // 2, 0)
        patch = ab[r0 : r0 + size, c0 : c0 + size].reshape(-1, 2).mean(axis=0)
        out.append((r, c, float(patch[0]), float(patch[1])))
    return out
