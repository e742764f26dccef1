"""Find and repair damage on a scanned photo: detect -> mask -> inpaint, any size, 8- or 16-bit.

    from ml.repair import get_repairer
    r = get_repairer()                      # the shipped ml/weights/repair.pt, SHA-256 verified
    prob = r.detect(gray)                   # (H,W) float32 in [0,1], P(damaged)
    mask = r.mask_from_prob(prob)           # (H,W) bool: prob > threshold, grown by `grow` px (<= 2)
    fixed = r.repair(gray, mask)            # same shape and dtype as gray; only mask pixels differ

Inputs: gray (H,W) uint8 or uint16, or float in [0,1]; `repair` also takes (H,W,3) uint8/uint16 RGB (each channel
filled under the same mask; detection of RGB uses its luma). Both run in overlapping tiles, so memory stays bounded
(a 50 MP photo is fine); `progress(frac)` is called as tiles finish and `cancel()` returning True raises
`ml.Cancelled`. Forward passes are serialized by a lock, so one instance can be shared by threads.

The guarantee that nothing outside the mask changes is by construction: the result is a composite
`where(mask, filled, original)` in the input's own dtype, so every pixel outside the mask is the input's exact
value. Inpainting is OpenCV's Telea fill (on 16-bit values) refined inside the mask by `InpaintNet` when the
checkpoint says the refiner beat Telea on its validation crops (`use_refiner`); see docs/repair.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from ..checkpoint import WEIGHTS_DIR, CheckpointError, load_checkpoint
from ..colorizer import Cancelled
from .net import DamageNet, InpaintNet, UNetArgs

DEFAULT_CHECKPOINT = WEIGHTS_DIR / "repair.pt"
MODEL_NAME = "findcolor-repair"
MAX_PIXELS = 60_000_000


def to_unit(gray: np.ndarray) -> np.ndarray:
    """(H,W) or (H,W,C) uint8/uint16/float [0,1] -> float32 in [0,1]. Raises ValueError for other input."""
    if not isinstance(gray, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(gray).__name__}")
    if gray.dtype == np.uint8:
        return gray.astype(np.float32) / 255.0
    if gray.dtype == np.uint16:
        return gray.astype(np.float32) / 65535.0
    if np.issubdtype(gray.dtype, np.floating):
        if not np.isfinite(gray).all():
            raise ValueError("image contains NaN or infinite values")
        return np.clip(gray, 0, 1).astype(np.float32)
    raise ValueError(f"unsupported image dtype {gray.dtype}; use uint8, uint16 or float in [0,1]")


def from_unit(x: np.ndarray, dtype) -> np.ndarray:
    """float [0,1] -> dtype (uint8/uint16 rounded, float kept)."""
    if dtype == np.uint8:
        return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)
    if dtype == np.uint16:
        return np.round(np.clip(x, 0, 1) * 65535).astype(np.uint16)
    return x.astype(dtype)


def luma(img: np.ndarray) -> np.ndarray:
    """(H,W) -> itself; (H,W,1) -> (H,W); (H,W,3|4) -> Rec.601 luma in the same dtype range (float32 [0,1])."""
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        u = to_unit(img[..., :3])
        return u @ np.array([0.299, 0.587, 0.114], np.float32)
    if img.ndim == 2:
        return img
    raise ValueError(f"expected an (H,W) gray or (H,W,3) RGB image, got shape {img.shape}")


def check_shape(img: np.ndarray) -> None:
    if not isinstance(img, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(img).__name__}")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected an (H,W) gray or (H,W,3) RGB image, got shape {img.shape}")
    H, W = img.shape[:2]
    if H < 1 or W < 1:
        raise ValueError(f"empty image of shape {img.shape}")
    if H * W > MAX_PIXELS:
        raise ValueError(f"image of {H}x{W} is larger than {MAX_PIXELS // 1_000_000} MP")


def tiles(H: int, W: int, core: int, margin: int):
    """Yield (core box, padded box) as (y0, y1, x0, x1) pairs covering H x W; padded = core + margin, clipped."""
    for y0 in range(0, H, core):
        for x0 in range(0, W, core):
            y1, x1 = min(y0 + core, H), min(x0 + core, W)
            yield (
                (y0, y1, x0, x1),
                (max(y0 - margin, 0), min(y1 + margin, H), max(x0 - margin, 0), min(x1 + margin, W)),
            )


def telea(gray01: np.ndarray, mask: np.ndarray, radius: int = 3) -> np.ndarray:
    """OpenCV Telea fill of (H,W) float32 [0,1] (computed on 16-bit values) under mask (H,W) bool."""
    g16 = np.round(np.clip(gray01, 0, 1) * 65535).astype(np.uint16)
    out = cv2.inpaint(g16, mask.astype(np.uint8), radius, cv2.INPAINT_TELEA).astype(np.float32) / 65535
    return np.where(mask, out, gray01).astype(np.float32)


class Repairer:
    """The damage detector and the inpainter of one verified checkpoint."""

    def __init__(self, ck: dict, checksum: str = "", detect_tile: int = 1024, repair_tile: int = 512):
        if ck.get("model_name") != MODEL_NAME:
            raise CheckpointError(f"not a repair checkpoint (model_name {ck.get('model_name')!r})")
        try:
            self.detector = DamageNet(UNetArgs.from_dict(ck["model_args"]["detector"]))
            self.detector.load_state_dict(ck["model"]["detector"])
            self.refiner = None
            if ck.get("use_refiner") and "inpainter" in ck["model"]:
                self.refiner = InpaintNet(UNetArgs.from_dict(ck["model_args"]["inpainter"]))
                self.refiner.load_state_dict(ck["model"]["inpainter"])
                self.refiner.eval().to(memory_format=torch.channels_last)
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(f"checkpoint weights do not fit the repair model: {e}") from e
        # channels-last: oneDNN's CPU convolutions take this layout natively (one 1 MP pass: 0.77 -> 0.45 s)
        self.detector.eval().to(memory_format=torch.channels_last)
        self.threshold = float(ck.get("threshold", 0.5))
        self.low_threshold = float(ck.get("low_threshold", 0.0))
        # average each tile's map with its mirror's (two passes; chosen on the "val" photos)
        self.flip_tta = bool(ck.get("flip_tta", False))
        self.model_name = MODEL_NAME
        self.model_version = str(ck["model_version"])
        self.checksum = checksum
        self.detect_tile = detect_tile
        self.repair_tile = repair_tile
        self.margin = 32
        self.telea_radius = 3
        self.path: Path | None = None
        self._lock = threading.Lock()  # forward passes are serialized: one instance can serve several threads

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, **kwargs) -> Repairer:
        """Load and verify a checkpoint (default: ml/weights/repair.pt, its .sha256 required). CheckpointError."""
        path = Path(path) if path is not None else DEFAULT_CHECKPOINT
        ck, digest = load_checkpoint(path, require_sidecar=path == DEFAULT_CHECKPOINT or None)
        r = cls(ck, digest, **kwargs)
        r.path = path
        return r

    # ---------------------------------------------------------------------------------------------- detect
    @torch.inference_mode()
    def detect(
        self,
        gray: np.ndarray,
        progress: Callable[[float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        """P(damaged) per pixel. gray (H,W) uint8/uint16/float [0,1] or RGB. Returns (H,W) float32 in [0,1].

        With `flip_tta` (the checkpoint's choice, made on the "val" photos) each tile's map is the mean of the
        detector's map and of its map of the mirrored tile, mirrored back: twice the work, a steadier map."""
        check_shape(gray)
        g = to_unit(luma(gray))
        H, W = g.shape
        prob = np.zeros((H, W), np.float32)
        boxes = list(tiles(H, W, self.detect_tile, self.margin))
        for i, ((y0, y1, x0, x1), (py0, py1, px0, px1)) in enumerate(boxes):
            if cancel is not None and cancel():
                raise Cancelled()
            x = torch.from_numpy(np.ascontiguousarray(g[py0:py1, px0:px1]))[None, None]
            with self._lock:
                p = torch.sigmoid(self.detector(x))
                if self.flip_tta:
                    p = 0.5 * (p + torch.sigmoid(self.detector(x.flip(-1))).flip(-1))
                p = p[0, 0].numpy()
            prob[y0:y1, x0:x1] = p[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
            if progress is not None:
                progress((i + 1) / len(boxes))
        return prob

    def mask_from_prob(
        self, prob: np.ndarray, threshold: float | None = None, grow: int = 1, low: float | None = None
    ) -> np.ndarray:
        """The mask to repair: prob > threshold (default: the checkpoint's), grown by `grow` px (0-2).

        With `low` (default: the checkpoint's `low_threshold`, 0 = off) the mask is hysteresis-thresholded: a
        connected region above `low` is kept when it reaches `threshold` somewhere (the faint ends of a scratch
        follow its clear middle). prob (H,W) float in [0,1]. Returns (H,W) bool."""
        if not 0 <= grow <= 2:
            raise ValueError("grow must be 0, 1 or 2 px")
        t = self.threshold if threshold is None else float(threshold)
        lo = self.low_threshold if low is None else float(low)
        prob = np.asarray(prob)
        m = (prob > t).astype(np.uint8)
        if 0 < lo < t and m.any():
            n, labels = cv2.connectedComponents((prob > lo).astype(np.uint8), connectivity=8)
            keep = np.zeros(n, bool)
            keep[np.unique(labels[m > 0])] = True
            keep[0] = False
            m = keep[labels].astype(np.uint8)
        if grow:
            m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        return m > 0

    # ---------------------------------------------------------------------------------------------- repair
    @torch.inference_mode()
    def _fill(self, g: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Fill one padded tile: g (h,w) float32 [0,1], m (h,w) bool -> (h,w) float32."""
        f = telea(g, m, self.telea_radius)
        if self.refiner is None:
            return f
        t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None] for a in (f, m, g)]
        with self._lock:
            corr = self.refiner(*t)[0, 0].numpy()
        return np.clip(f + corr * m, 0, 1)

    def repair(
        self,
        img: np.ndarray,
        mask: np.ndarray,
        progress: Callable[[float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        """Inpaint exactly the pixels of mask. img (H,W) or (H,W,3) uint8/uint16/float [0,1]; mask (H,W) bool.

        Returns an array of img's shape and dtype, equal to img wherever mask is False."""
        check_shape(img)
        mask = np.asarray(mask)
        if mask.shape != img.shape[:2]:
            raise ValueError(f"mask of shape {mask.shape} does not match the image {img.shape[:2]}")
        mask = mask.astype(bool)
        squeeze = img.ndim == 3 and img.shape[2] == 1
        src = img[..., 0] if squeeze else img
        chans = [src] if src.ndim == 2 else [src[..., c] for c in range(min(src.shape[2], 3))]
        out = src.copy()
        H, W = mask.shape
        boxes = [
            b
            for b in tiles(H, W, self.repair_tile, self.margin)
            if mask[b[0][0] : b[0][1], b[0][2] : b[0][3]].any()
        ]
        for i, ((y0, y1, x0, x1), (py0, py1, px0, px1)) in enumerate(boxes):
            if cancel is not None and cancel():
                raise Cancelled()
            m = mask[py0:py1, px0:px1]
            core_m = mask[y0:y1, x0:x1]
            for c, ch in enumerate(chans):
                f = self._fill(to_unit(ch[py0:py1, px0:px1]), m)
                core = from_unit(f[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0], ch.dtype)
                view = out[y0:y1, x0:x1] if out.ndim == 2 else out[y0:y1, x0:x1, c]
                view[core_m] = core[core_m]  # the composite: only mask pixels are written
            if progress is not None:
                progress((i + 1) / len(boxes))
        return out[..., None] if squeeze else out

    def auto(self, img: np.ndarray, threshold: float | None = None, grow: int = 1, low: float | None = None):
        """Detect, mask and repair. Returns (repaired like img, mask (H,W) bool, prob (H,W) float32)."""
        prob = self.detect(img)
        mask = self.mask_from_prob(prob, threshold, grow, low)
        return self.repair(img, mask), mask, prob


_CACHED: dict = {}
_LOCK = threading.Lock()


def get_repairer() -> Repairer:
    """A process-wide cached Repairer for the shipped checkpoint (loaded on first use). Raises CheckpointError."""
    with _LOCK:
        if "default" not in _CACHED:
            _CACHED["default"] = Repairer.load()
        return _CACHED["default"]


def detect(gray: np.ndarray, **kw) -> np.ndarray:
    """`get_repairer().detect` (see Repairer.detect)."""
    return get_repairer().detect(gray, **kw)


def mask_from_prob(prob: np.ndarray, threshold: float | None = None, grow: int = 1, low: float | None = None):
    """`get_repairer().mask_from_prob` (see Repairer.mask_from_prob). Returns (H,W) bool."""
    return get_repairer().mask_from_prob(prob, threshold, grow, low)


def repair(img: np.ndarray, mask: np.ndarray, **kw) -> np.ndarray:
    """`get_repairer().repair` (see Repairer.repair)."""
    return get_repairer().repair(img, mask, **kw)
