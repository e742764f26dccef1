"""Damage detection and repair of scanned photos (pure PyTorch + NumPy + OpenCV, no Django). See ml/repair/core.py
and docs/repair.md."""

from .core import DEFAULT_CHECKPOINT, MODEL_NAME, Repairer, detect, get_repairer, mask_from_prob, repair

__all__ = [
    "DEFAULT_CHECKPOINT",
    "MODEL_NAME",
    "Repairer",
    "detect",
    "get_repairer",
    "mask_from_prob",
    "repair",
]
