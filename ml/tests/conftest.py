"""Shared fixtures: small synthetic images and a checkpoint with a seeded, untrained head (no ../shared needed).

The encoder is always the real pretrained EfficientNet-Lite0 from the installed package (it is frozen and never
part of a checkpoint)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml.checkpoint import sha256_file, untrained_checkpoint
from ml.colorizer import Colorizer
from ml.net import NetArgs

torch.set_num_threads(1)

TINY = NetArgs(dec=(32, 24, 16, 16), half=8, stem=8, key_dim=8, gdim=32)


def make_checkpoint(path, seed: int = 0, **changes) -> str:
    """Write a tiny random-head checkpoint (and its .sha256) to path; returns the digest."""
    ck = untrained_checkpoint(seed, TINY)
    ck.update(model_name=ck["model_name"], model_version="test-0")
    ck.update(changes)
    torch.save(ck, path)
    digest = sha256_file(path)
    (path.parent / (path.name + ".sha256")).write_text(f"{digest}  {path.name}\n")
    return digest


@pytest.fixture(scope="session")
def ckpt_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("ckpt") / "model.pt"
    make_checkpoint(p)
    return p


@pytest.fixture(scope="session")
def colorizer(ckpt_path):
    return Colorizer.load(ckpt_path, work_side=160, tile=64, overlap=16)


def two_region_gray(H: int = 64, W: int = 96) -> np.ndarray:
    """A dark left half (L~30) and a bright right half (L~75), with mild texture. Returns (H,W) uint8."""
    rng = np.random.default_rng(0)
    g = np.empty((H, W), dtype=np.float32)
    g[:, : W // 2] = 60
    g[:, W // 2 :] = 190
    g += rng.normal(0, 2, size=g.shape)
    return np.clip(g, 0, 255).astype(np.uint8)


def two_regions_far_square(H: int = 96, W: int = 128) -> np.ndarray:
    """two_region_gray with a dark square far away in the bright right half (rows 60-80, columns 100-120): the
    look-alike region a hint on the dark half must not reach (ml/tests/test_propagation.py, bench/ml_choose.py)."""
    g = two_region_gray(H, W)
    g[60:80, 100:120] = 60
    return g
