"""Training data: colour images from a folder, random crops and flips, optional era/situation labels.

Images are read from disk on demand (nothing is copied). A label CSV has a header with columns
`path,era,situation` where path is relative to the data folder (or a file name); empty cells mean unknown.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import torch
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


def random_crop(img: Image.Image, size: int, rng: np.random.Generator, flip: bool = True) -> np.ndarray:
    """A random square crop (side between size and the short side) resized to size x size, maybe flipped.

    img: PIL RGB image. Returns (size,size,3) uint8.
    """
    W, H = img.size
    short = min(W, H)
    lo = min(size, short)
    s = int(rng.integers(lo, short + 1))
    x0 = int(rng.integers(0, W - s + 1))
    y0 = int(rng.integers(0, H - s + 1))
    crop = img.crop((x0, y0, x0 + s, y0 + s))
    if s != size:
        crop = crop.resize((size, size), Image.BILINEAR)
    arr = np.asarray(crop)
    if flip and rng.random() < 0.5:
        arr = arr[:, ::-1]
    return np.ascontiguousarray(arr)


class CropDataset(torch.utils.data.Dataset):
    """Random crops of colour images. Item: (crop (3,S,S) float in [0,1], reference crop of the same image
    (3,S,S) float in [0,1], era id, situation id)."""

    def __init__(self, files, size: int, seed: int = 0, labels=None, eras=(), situations=()):
        self.files = list(files)
        self.size = size
        self.seed = seed
        self.labels = labels or {}
        self.era_ids = {n: i for i, n in enumerate(eras)}
        self.sit_ids = {n: i for i, n in enumerate(situations)}
        self.epoch = 0

    def __len__(self):
        return len(self.files)

    def context_ids(self, path: Path) -> tuple[int, int]:
        lab = self.labels.get(str(path)) or self.labels.get(path.name)
        if lab is None:
            for k, v in self.labels.items():
                if str(path).endswith(k):
                    lab = v
                    break
        if lab is None:
            return 0, 0
        return self.era_ids.get(lab[0], 0), self.sit_ids.get(lab[1], 0)

    def __getitem__(self, i):
        rng = np.random.default_rng((self.seed, self.epoch, i))
        path = self.files[i]
        with Image.open(path) as im:
            im = im.convert("RGB")
            a = random_crop(im, self.size, rng)
            b = random_crop(im, self.size, rng)
        era, sit = self.context_ids(path)
        to_t = lambda x: torch.from_numpy(x).permute(2, 0, 1).float() / 255.0  # noqa: E731
        return to_t(a), to_t(b), era, sit
