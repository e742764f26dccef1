"""Choose the shipped repair checkpoint's inference settings on the "val" photos, and write it with its sidecar.

    OMP_NUM_THREADS=1 python bench/repair_choose.py runs/repair2/ckpt.pt --out ml/weights/repair.pt [--limit N]

On the "val" role of ../shared/datasets/train (never the "test" photos of bench/repair_eval.py, never eval/), each
photo damaged once (`ml.repair.synth.damage`, seed 11), whole and at its own size:
- detection: the threshold (0.02-0.95) and hysteresis low threshold (off, 0.5x, 0.7x) of best pooled F1 at 2 px,
  with and without averaging each map with its mirror's (`flip_tta`: twice the detection time, so kept only when
  it raises that F1 by at least 0.005);
- inpainting: the refiner is kept only if its PSNR inside the true mask beats Telea's.
The checkpoint is written with `threshold`, `low_threshold`, `use_refiner` and the choice itself (`choice`, JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.checkpoint import load_checkpoint, sha256_file  # noqa: E402
from ml.repair import Repairer  # noqa: E402
from ml.repair.core import telea  # noqa: E402
from ml.repair.data import load_gray, photos  # noqa: E402
from ml.repair.metrics import f1_from_counts, tolerant_counts  # noqa: E402
from ml.repair.synth import damage  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets" / "train"))
    p.add_argument("--limit", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    ck, _ = load_checkpoint(a.checkpoint)
    ck["use_refiner"] = True
    r = Repairer(ck)
    files = photos(a.data, "val")[: a.limit or None]
    rng = np.random.default_rng(11)
    ts = [0.02, 0.05] + [round(x, 2) for x in np.arange(0.1, 0.96, 0.05)]
    lows = (0.0, 0.5, 0.7)
    flips = (False, True)
    counts = {(fl, t, lo): np.zeros(4) for fl in flips for t in ts for lo in lows}
    se_t = se_r = n = 0.0
    for f in files:
        g = load_gray(f).astype(np.float32) / 255
        d, c, m = damage(g, rng, p_none=0.0)
        d8 = (d * 255).round().astype(np.uint8)
        for fl in flips:
            r.flip_tta = fl
            prob = r.detect(d8)
            for t in ts:
                for lo in lows:
                    counts[(fl, t, lo)] += tolerant_counts(r.mask_from_prob(prob, t, grow=0, low=lo * t), m)
        cf = (c * 255).round() / 255
        tl = np.round(telea(d8.astype(np.float32) / 255, m) * 255) / 255
        rf = r.repair(d8, m).astype(np.float64) / 255
        se_t += float(((tl - cf)[m] ** 2).sum())
        se_r += float(((rf - cf)[m] ** 2).sum())
        n += int(m.sum())
    f1 = {k: f1_from_counts(*v)[0] for k, v in counts.items()}
    best_of = {fl: max((kv for kv in f1.items() if kv[0][0] == fl), key=lambda kv: kv[1]) for fl in flips}
    fl = bool(best_of[True][1] >= best_of[False][1] + 0.005)
    (_, t, lo), best = best_of[fl]
    psnr_t, psnr_r = 10 * math.log10(n / se_t), 10 * math.log10(n / se_r)
    choice = {
        "val_photos": len(files),
        "threshold": t,
        "low_threshold": round(lo * t, 3),
        "val_f1": round(best, 4),
        "flip_tta": fl,
        "val_f1_single_pass": round(best_of[False][1], 4),
        "val_f1_flip_averaged": round(best_of[True][1], 4),
        "val_f1_at_0.5_no_hysteresis": round(f1[(fl, 0.5, 0.0)], 4),
        "val_psnr_in_mask_telea": round(psnr_t, 3),
        "val_psnr_in_mask_refined": round(psnr_r, 3),
        "use_refiner": psnr_r > psnr_t,
    }
    print(json.dumps(choice, indent=1))
    ck.update(
        threshold=float(t), low_threshold=float(lo * t), use_refiner=bool(psnr_r > psnr_t), flip_tta=bool(fl)
    )
    ck["choice"] = json.dumps(choice)
    out = Path(a.out)
    torch.save(ck, out)
    digest = sha256_file(out)
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    print(f"wrote {out} ({out.stat().st_size / 2**20:.2f} MB, sha256 {digest[:12]}...)")


if __name__ == "__main__":
    main()
