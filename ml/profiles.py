"""Context profiles: a global-hint prior (ab histogram + mean saturation) built from colour photos of a context.

A profile is what the network receives as its global hint when a run names a context but gives no reference
photo. It is built from colour reference photos and approved restorations of that era/situation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import bins as B
from .colorspace import rgb_to_lab


@dataclass
class Profile:
    """Global-hint prior. hist: (Q,) float32 summing to 1 over the ab bins; saturation: mean chroma / 100."""

    hist: np.ndarray
    saturation: float
    n_images: int = 0
    name: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.hist = np.asarray(self.hist, dtype=np.float32)
        Q = len(B.ab_bins())
        if self.hist.shape != (Q,):
            raise ValueError(f"profile histogram must have {Q} bins, got shape {self.hist.shape}")
        s = float(self.hist.sum())
        if not np.isfinite(s) or s <= 0 or (self.hist < 0).any():
            raise ValueError("profile histogram must be non-negative with a positive sum")
        self.hist = self.hist / s
        self.saturation = float(self.saturation)

    def vector(self) -> np.ndarray:
        """The global-hint vector the network takes: (Q+2,) = histogram, saturation, given flag (1)."""
        return np.concatenate([self.hist, [self.saturation, 1.0]]).astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-serializable form."""
        return {
            "version": 1,
            "bins": len(self.hist),
            "hist": [round(float(v), 6) for v in self.hist],
            "saturation": self.saturation,
            "n_images": self.n_images,
            "name": self.name,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Profile:
        """Inverse of to_dict. Raises ValueError on a malformed dict."""
        try:
            return cls(
                hist=np.asarray(d["hist"], dtype=np.float32),
                saturation=float(d["saturation"]),
                n_images=int(d.get("n_images", 0)),
                name=d.get("name"),
                meta=dict(d.get("meta") or {}),
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"malformed profile dict: {e}") from e


def image_global_hint(rgb: np.ndarray, max_side: int = 256) -> np.ndarray:
    """Global-hint vector of one colour photo. rgb: (H,W,3) uint8. Returns (Q+2,) float32."""
    p = build_profile([rgb], max_side=max_side)
    return p.vector()


def build_profile(images: list[np.ndarray], name: str | None = None, max_side: int = 256) -> Profile:
    """Build a profile from colour photos. images: list of (H,W,3) uint8 RGB arrays (any sizes).

    Every image counts equally: the histogram is the mean of per-image ab histograms, the saturation the mean
    of per-image mean chroma / 100. Raises ValueError for an empty list or a non-RGB image.
    """
    if len(images) == 0:
        raise ValueError("build_profile needs at least one image")
    hists, sats = [], []
    for im in images:
        im = np.asarray(im)
        if im.ndim != 3 or im.shape[2] not in (3, 4):
            raise ValueError(f"build_profile expects RGB images (H,W,3), got shape {im.shape}")
        im = im[..., :3]
        step = max(1, int(np.ceil(max(im.shape[:2]) / max_side)))
        lab = rgb_to_lab(im[::step, ::step])
        ab = lab[..., 1:].reshape(-1, 2)
        hists.append(B.histogram(ab))
        sats.append(float(np.linalg.norm(ab, axis=1).mean()) / 100.0)
    return Profile(
        hist=np.mean(hists, axis=0), saturation=float(np.mean(sats)), n_images=len(images), name=name
    )
