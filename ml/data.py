"""Training data: colour images from a folder, random crops and flips, optional era/situation labels.

Images are read from disk on demand (nothing is copied). A label CSV has a header with columns
`path,era,situation` where path is relative to the data folder (or a file name); empty cells mean unknown.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def list_images(root: str | os.PathLike) -> list[Path]:
    """All image files under root, sorted. Raises FileNotFoundError if the folder is missing or holds none."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder not found: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())
    if not files:
        raise FileNotFoundError(f"no images found under {root}")
    return files


def read_labels(csv_path: str | os.PathLike) -> dict[str, tuple[str, str]]:
    """Read a label CSV (path, era, situation). Returns {path or file name: (era, situation)}."""
    out = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            era = (row.get("era") or "unknown").strip() or "unknown"
            sit = (row.get("situation") or "unknown").strip() or "unknown"
            out[row["path"].strip()] = (era, sit)
    return out


def load_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image as RGB. Returns (H,W,3) uint8."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))
