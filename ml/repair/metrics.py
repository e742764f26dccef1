"""Metrics for damage detection and repair.

- `tolerant_f1(pred, true, tol=2)`: F1 where a predicted pixel counts as correct if a true damaged pixel lies within
  `tol` px (a disk) and a true pixel counts as found if a predicted pixel lies within `tol` px. pred, true (H,W)
  bool. Returns (f1, precision, recall); both empty -> (1, 1, 1).
- `psnr(a, b, mask=None)`: PSNR in dB of two (H,W) float arrays in [0,1], over `mask` (bool) when given.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def tolerant_counts(pred: np.ndarray, true: np.ndarray, tol: int = 2) -> tuple[int, int, int, int]:
    """(predicted correct, predicted total, true found, true total) at `tol` px."""
    k = disk(tol)
    p8, t8 = pred.astype(np.uint8), true.astype(np.uint8)
    tp_p = int(np.count_nonzero(p8 & cv2.dilate(t8, k)))
    tp_t = int(np.count_nonzero(t8 & cv2.dilate(p8, k)))
    return tp_p, int(p8.sum()), tp_t, int(t8.sum())


def f1_from_counts(tp_p: int, n_p: int, tp_t: int, n_t: int) -> tuple[float, float, float]:
    prec = tp_p / n_p if n_p else 1.0
    rec = tp_t / n_t if n_t else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return f1, prec, rec


def tolerant_f1(pred: np.ndarray, true: np.ndarray, tol: int = 2) -> tuple[float, float, float]:
    return f1_from_counts(*tolerant_counts(pred, true, tol))


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    d = (np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2
    mse = float(d[mask].mean()) if mask is not None else float(d.mean())
    return 99.0 if mse <= 1e-12 else 10 * math.log10(1.0 / mse)
