"""Export a training checkpoint as the shipped model: strip the optimizer, write .sha256 and a config JSON.

python -m ml.export runs/NAME/ckpt.pt [--out ml/weights/findcolor.pt] [--version V]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from .checkpoint import DEFAULT_CHECKPOINT, sha256_file


def export(
    src: str,
    dst: str | Path = DEFAULT_CHECKPOINT,
    version: str | None = None,
    inference: dict | None = None,
) -> str:
    """Write the shipped checkpoint + sidecars. Returns the sha256 hex of the written file."""
    ck = torch.load(src, map_location="cpu", weights_only=True)
    ck.pop("optimizer", None)
    ck["model"] = {k: v.float().contiguous() for k, v in ck["model"].items()}
    if version:
        ck["model_version"] = version
    ck.pop("profiles", None)  # context profiles are no longer stored in the model: adaptations (ml.adapt) are
    if inference is not None:
        ck["inference"] = inference
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ck, dst)
    digest = sha256_file(dst)
    Path(str(dst) + ".sha256").write_text(f"{digest}  {dst.name}\n")
    meta = {
        k: ck[k]
        for k in (
            "model_name",
            "model_version",
            "model_args",
            "config",
            "step",
            "images_seen",
            "elapsed_s",
            "val_loss",
            "inference",
            "encoder",
            "dcm",
            "curve",
        )
        if k in ck
    }
    meta["encoder_tuned_from"] = (ck.get("encoder_tuned") or {}).get("from")
    meta["sha256"] = digest
    dst.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return digest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("--out", default=str(DEFAULT_CHECKPOINT))
    p.add_argument("--version", default=None)
    p.add_argument("--inference", default=None, help='JSON, e.g. {"anneal_mix": 0.3, "enforce_decay": 0.3}')
    a = p.parse_args(argv)
    inference = json.loads(a.inference) if a.inference else None
    print(export(a.src, a.out, a.version, inference))


if __name__ == "__main__":
    main()
