"""Checkpoints: where the shipped one lives, how a file is read and verified (SHA-256 against its sidecar),
and a seeded untrained one for tests. A checkpoint is a dict with at least REQUIRED_KEYS; its "inference"
entry carries the settings chosen for it (ml/inference.py).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from .net import FindColorNet2, NetArgs

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_CHECKPOINT = WEIGHTS_DIR / "findcolor.pt"
REQUIRED_KEYS = ("model_name", "model_version", "model_args", "model", "config")
MODEL_NAME = "findcolor-v2-effnetlite0"


class CheckpointError(RuntimeError):
    """The checkpoint file is missing, corrupt, or does not match its SHA-256."""


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_sha256_sidecar(path: Path) -> str | None:
    """The expected digest from PATH.sha256 ('<hex>' or '<hex>  <name>'), or None if there is no sidecar."""
    side = Path(str(path) + ".sha256")
    if not side.exists():
        return None
    text = side.read_text().strip().split()
    if not text or len(text[0]) != 64:
        raise CheckpointError(f"malformed checksum file {side}")
    return text[0].lower()


def load_checkpoint(
    path: str | os.PathLike | None = None, require_sidecar: bool | None = None
) -> tuple[dict, str]:
    """Read and verify a checkpoint. Returns (checkpoint dict, sha256 hex). Raises CheckpointError.

    The default checkpoint must have its .sha256 sidecar; another path is verified when it has one.
    """
    default = path is None
    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    if require_sidecar is None:
        require_sidecar = default
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    digest = sha256_file(path)
    expected = read_sha256_sidecar(path)
    if expected is None and require_sidecar:
        raise CheckpointError(f"checksum file missing: {path}.sha256")
    if expected is not None and expected != digest:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: sha256 {digest[:12]}... does not match {expected[:12]}..."
        )
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged file
        raise CheckpointError(f"checkpoint {path} cannot be read: {type(e).__name__}: {e}") from e
    if not isinstance(ck, dict) or any(k not in ck for k in REQUIRED_KEYS):
        raise CheckpointError(f"checkpoint {path} is not a Find Color checkpoint (missing keys)")
    return ck, digest


def untrained_checkpoint(seed: int = 0, args: NetArgs | None = None) -> dict:
    """A checkpoint dict with a seeded, untrained head and the installed encoder's identity (for tests)."""
    from .encoder import encoder_identity

    torch.manual_seed(seed)
    args = args or NetArgs()
    net = FindColorNet2(args)
    return {
        "model_name": MODEL_NAME,
        "model_version": "0-untrained",
        "model_args": args.to_dict(),
        "model": net.state_dict(),
        "config": {},
        "encoder": encoder_identity(),
    }
