"""Synthetic archival damage on a clean grayscale photo, with the exact mask of what changed.

    damaged, clean, mask = damage(gray, rng)

gray: (H,W) float32 in [0,1] (a clean photo). Returns damaged (H,W) float32 in [0,1], clean (H,W) float32 in
[0,1] (the same photo with the same grain and blur as `damaged`, i.e. what a perfect repair would give) and mask
(H,W) bool (True where the damage changed the photo: its footprint after blur, and every pixel the damage moved by
more than 4/255).

Damage, each kind drawn with its own probability:
- scratches: long, slightly curved polylines 1-4 px wide (anti-aliased), bright (emulsion scratched off) or dark
  (dirt in the scratch), strength 0.5-1 of full contrast; sometimes faint and broken into dashes;
- dust and specks: dots and small blobs 1-6 px, bright or dark; hairs: short curved 1-px lines;
- small stains: soft irregular blobs 6-30 px that darken (or lighten) multiplicatively;
- small tears and chips: jagged bright (paper white) shapes, often from the border.
Then on top of everything (clean and damaged alike, same realisation): blur (sigma 0-1.2) and film grain.
Some crops get no damage at all (the detector must learn to say nothing).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SHIFT = 4  # cv2 sub-pixel drawing: coordinates in 1/16 px
MASK_DIFF = 4.0 / 255.0
MASK_ALPHA = 0.2


def _curve(rng: np.random.Generator, H: int, W: int, length: float, bend: float, start=None) -> np.ndarray:
    """A smooth random polyline (N,2) of (x, y) of about `length` px, bending up to `bend` radians in total."""
    if start is None:
        start = (rng.uniform(-0.1, 1.1) * W, rng.uniform(-0.1, 1.1) * H)
    n = max(int(length / 6), 4)
    th0 = rng.uniform(0, 2 * math.pi)
    # heading follows a smooth random walk: a few low-frequency sines
    t = np.linspace(0, 1, n)
    heading = th0 + bend * (
        rng.uniform(-1, 1) * t + 0.5 * rng.uniform(-1, 1) * np.sin(rng.uniform(1, 4) * t * 3)
    )
    step = length / n
    xy = np.zeros((n, 2))
    xy[0] = start
    for i in range(1, n):
        xy[i] = xy[i - 1] + step * np.array([math.cos(heading[i]), math.sin(heading[i])])
    return xy


def _polyline(canvas: np.ndarray, xy: np.ndarray, width: float) -> None:
    pts = np.round(xy * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(canvas, [pts], False, 1.0, max(int(round(width)), 1), cv2.LINE_AA, SHIFT)


def _blob(rng: np.random.Generator, H: int, W: int, radius: float, jag: float) -> np.ndarray:
    """An irregular filled polygon (alpha canvas (H,W) float32 in [0,1]) of about `radius` px."""
    canvas = np.zeros((H, W), np.float32)
    cx, cy = rng.uniform(0, W), rng.uniform(0, H)
    k = int(rng.integers(6, 14))
    ang = np.sort(rng.uniform(0, 2 * math.pi, k))
    r = radius * np.exp(rng.normal(0, jag, k))
    pts = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1)
    pts = np.round(pts * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(canvas, [pts], 1.0, cv2.LINE_AA, SHIFT)
    return canvas


def _over(img: np.ndarray, alpha_total: np.ndarray, a: np.ndarray, value) -> None:
    """Composite value with alpha a over img in place; accumulate the union alpha."""
    np.clip(a, 0, 1, out=a)
    img *= 1 - a
    img += a * value
    alpha_total *= 1 - a
    alpha_total += a  # 1 - (1-A)(1-a) = A(1-a) + a


def _value(rng, bright_p: float, H: int, W: int) -> np.ndarray | float:
    if rng.random() < bright_p:
        return float(rng.uniform(0.82, 1.0))
    return float(rng.uniform(0.0, 0.18))


def add_damage(img: np.ndarray, rng: np.random.Generator, amount: float = 1.0) -> np.ndarray:
    """Draw damage onto img (H,W) float32 [0,1] in place. Returns the union alpha (H,W) float32 in [0,1]."""
    H, W = img.shape
    alpha = np.zeros((H, W), np.float32)
    side = math.sqrt(H * W)
    area = H * W / (128 * 128)
    bright_p = rng.uniform(0.4, 0.9)
    # scratches
    if rng.random() < 0.8:
        for _ in range(rng.poisson(2.0 * amount * max(area, 0.5) ** 0.5) + 1):
            canvas = np.zeros((H, W), np.float32)
            width = float(rng.choice([1, 1, 1, 2, 2, 3, 4]))
            xy = _curve(rng, H, W, rng.uniform(0.4, 1.6) * side, rng.uniform(0.0, 0.6))
            _polyline(canvas, xy, width)
            if width == 1 and rng.random() < 0.5:  # sub-pixel thin scratch
                canvas *= rng.uniform(0.6, 1.0)
            if rng.random() < 0.3:  # broken into dashes
                dash = cv2.resize(
                    (rng.random((max(H // 12, 2), max(W // 12, 2))) < 0.6).astype(np.float32),
                    (W, H),
                    interpolation=cv2.INTER_NEAREST,
                )
                canvas *= dash
            strength = rng.uniform(0.5, 1.0)
            _over(img, alpha, canvas * strength, _value(rng, bright_p, H, W))
    # dust, specks, hairs
    if rng.random() < 0.75:
        canvas = np.zeros((H, W), np.float32)
        vals = []
        for _ in range(rng.poisson(6 * amount * area) + 1):
            c = np.zeros((H, W), np.float32)
            kind = rng.random()
            if kind < 0.5:  # dot
                r = rng.uniform(0.6, 3.0)
                cx, cy = rng.uniform(0, W), rng.uniform(0, H)
                cv2.circle(c, (int(cx * 16), int(cy * 16)), max(int(r * 16), 8), 1.0, -1, cv2.LINE_AA, SHIFT)
            elif kind < 0.8:  # small irregular blob
                c = _blob(rng, H, W, rng.uniform(1.5, 4.0), 0.3)
            else:  # hair
                _polyline(c, _curve(rng, H, W, rng.uniform(8, 30), rng.uniform(1.0, 3.0)), 1)
            vals.append((c, _value(rng, bright_p, H, W), rng.uniform(0.6, 1.0)))
        for c, v, s in vals:
            _over(img, alpha, c * s, v)
        del canvas
    # stains
    if rng.random() < 0.3:
        for _ in range(rng.poisson(1.0 * amount * max(area, 0.5) ** 0.5) + 1):
            c = _blob(rng, H, W, rng.uniform(3, 15), 0.35)
            c = cv2.GaussianBlur(c, (0, 0), rng.uniform(0.8, 2.5))
            c = np.clip(c * 1.6, 0, 1)
            dark = rng.random() < 0.7
            strength = rng.uniform(0.35, 0.8)
            # multiplicative: a stain keeps some of the photo underneath
            target = img * (1 - strength) if dark else img + (1 - img) * strength
            a = c.copy()
            img *= 1 - a
            img += a * target
            alpha *= 1 - a
            alpha += a
    # tears and chips (paper white), often from a border
    if rng.random() < 0.2:
        c = np.zeros((H, W), np.float32)
        edge = int(rng.integers(0, 4))
        pos = rng.uniform(0, 1)
        start = [(pos * W, 0), (pos * W, H), (0, pos * H), (W, pos * H)][edge]
        xy = _curve(rng, H, W, rng.uniform(0.1, 0.5) * side, rng.uniform(0.5, 1.5), start=start)
        xy += rng.normal(0, 1.0, xy.shape)  # jagged
        _polyline(c, xy, rng.uniform(2, 7))
        _over(img, alpha, c, float(rng.uniform(0.85, 1.0)))
    return alpha


def _finish(x: np.ndarray, sigma: float, grain: np.ndarray | None) -> np.ndarray:
    if sigma > 0:
        x = cv2.GaussianBlur(x, (0, 0), sigma)
    if grain is not None:
        x = x + grain
    return np.clip(x, 0, 1)


def damage(
    gray: np.ndarray, rng: np.random.Generator, p_none: float = 0.08, amount: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Damage a clean photo. gray (H,W) float32 [0,1]. Returns (damaged, clean, mask) as described above."""
    H, W = gray.shape
    base = np.ascontiguousarray(gray, dtype=np.float32)
    dmg = base.copy()
    if rng.random() < p_none:
        alpha = np.zeros((H, W), np.float32)
    else:
        alpha = add_damage(dmg, rng, amount)
    sigma = float(rng.uniform(0.0, 1.2)) if rng.random() < 0.6 else 0.0
    grain = None
    if rng.random() < 0.7:
        grain = rng.normal(0, rng.uniform(0.005, 0.04), (H, W)).astype(np.float32)
        if rng.random() < 0.5:
            grain = cv2.GaussianBlur(grain, (0, 0), rng.uniform(0.5, 1.0)) * 2.0
    clean = _finish(base, sigma, grain)
    damaged = _finish(dmg, sigma, grain)
    if sigma > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
    mask = (alpha > MASK_ALPHA) | (np.abs(damaged - clean) > MASK_DIFF)
    return damaged.astype(np.float32), clean.astype(np.float32), mask
