"""Training photos for the repair models, and the fixed held-out rule.

A photo's role depends only on its folder and file name (SHA-1 of "folder/name", mod 20): 0 -> "val" (used during
training to pick the detector's threshold), 1 -> "test" (used only by bench/repair_eval.py), else "train". So the
held-out photos never enter training, whatever machine or order the files are listed in.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from ..data import list_images


def role(path: str | Path) -> str:
    """'train', 'val' or 'test' for a photo path (see the module docstring)."""
    p = Path(path)
    h = int(hashlib.sha1(f"{p.parent.name}/{p.name}".encode()).hexdigest(), 16) % 20
    return "val" if h == 0 else "test" if h == 1 else "train"


def photos(root: str | Path, which: str) -> list[Path]:
    """The image files under root whose role is `which`, sorted."""
    return [p for p in list_images(root) if role(p) == which]


def load_gray(path: str | Path) -> np.ndarray:
    """A photo as grayscale (the L of PIL's 'L' conversion). Returns (H,W) uint8."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))
