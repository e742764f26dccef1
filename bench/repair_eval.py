"""Measure the repair model on held-out photos with synthetic damage, and its speed and memory.

    OMP_NUM_THREADS=1 python bench/repair_eval.py [--checkpoint ml/weights/repair.pt] [--out docs/repair_eval.json]
                                                  [--limit N] [--eval-dir ../shared/datasets/eval]

Photos: the "test" role of ../shared/datasets/train (`ml.repair.data.role`: a fixed hash rule; never trained on),
each damaged once by `ml.repair.synth.damage` with a fixed seed, as 8-bit. Optionally the eval/ folders, as a
report only (nothing is chosen on them). Measured:
- detection F1 at 2 px tolerance (pooled counts), the model at its own threshold (and, when the checkpoint averages
  each map with its mirror's, its single pass at the same threshold) and a top-hat + threshold
  baseline (white and black top-hat, 9 px disk; its threshold chosen on the "val" photos);
- whole-photo PSNR: damaged, automatically repaired (detect + repair), against the clean photo (same grain/blur);
- with the true mask given: PSNR inside the mask of OpenCV Telea and of the model's inpainting;
- pixels outside the repaired mask that changed by more than 2 grey levels (auto and true-mask repairs);
- detection time on a 1 MP image, 12 MP repair time (true mask; and detect + repair) and peak RSS, in a fresh
  subprocess each (one thread); checkpoint size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.repair import DEFAULT_CHECKPOINT, Repairer  # noqa: E402
from ml.repair.core import telea  # noqa: E402
from ml.repair.data import load_gray, photos  # noqa: E402
from ml.repair.metrics import f1_from_counts, psnr, tolerant_counts  # noqa: E402
from ml.repair.synth import add_damage, damage  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"


def tophat(gray01: np.ndarray) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    return np.maximum(
        cv2.morphologyEx(gray01, cv2.MORPH_TOPHAT, k), cv2.morphologyEx(gray01, cv2.MORPH_BLACKHAT, k)
    )


def damaged_set(files, seed: int):
    rng = np.random.default_rng(seed)
    for f in files:
        g = load_gray(f).astype(np.float32) / 255.0
        d, c, m = damage(g, rng, p_none=0.0)
        yield f, (d * 255).round().astype(np.uint8), (c * 255).round().astype(np.uint8), m


def baseline_threshold(files) -> float:
    ts = np.linspace(0.02, 0.3, 15)
    counts = np.zeros((len(ts), 4))
    for _, d, _, m in damaged_set(files, 99):
        th = tophat(d.astype(np.float32) / 255)
        for i, t in enumerate(ts):
            counts[i] += tolerant_counts(th > t, m)
    f1 = [f1_from_counts(*c)[0] for c in counts]
    return float(ts[int(np.argmax(f1))])


def quality(r: Repairer, files, t_base: float) -> dict:
    cm, cb, c1 = np.zeros(4), np.zeros(4), np.zeros(4)
    se = {"damaged": 0.0, "auto": 0.0}
    n_px = 0
    se_in = {"telea": 0.0, "model": 0.0}
    n_in = 0
    changed_auto = changed_true = 0
    per_photo = []
    for f, d, c, m in damaged_set(files, 7):
        prob = r.detect(d)
        mask = r.mask_from_prob(prob, grow=0)
        cm += tolerant_counts(mask, m)
        if r.flip_tta:  # what the mirror averaging adds: one pass, at the same threshold
            r.flip_tta = False
            c1 += tolerant_counts(r.mask_from_prob(r.detect(d), grow=0), m)
            r.flip_tta = True
        cb += tolerant_counts(tophat(d.astype(np.float32) / 255) > t_base, m)
        rmask = r.mask_from_prob(prob)
        auto = r.repair(d, rmask)
        cf, df, af = (x.astype(np.float64) / 255 for x in (c, d, auto))
        se["damaged"] += float(((df - cf) ** 2).sum())
        se["auto"] += float(((af - cf) ** 2).sum())
        n_px += c.size
        changed_auto += int((np.abs(auto.astype(int) - d.astype(int)) > 2)[~rmask].sum())
        fixed = r.repair(d, m)
        changed_true += int((np.abs(fixed.astype(int) - d.astype(int)) > 2)[~m].sum())
        tl = np.round(telea(d.astype(np.float32) / 255, m) * 255) / 255
        se_in["telea"] += float(((tl - cf)[m] ** 2).sum())
        se_in["model"] += float(((fixed.astype(np.float64) / 255 - cf)[m] ** 2).sum())
        n_in += int(m.sum())
        per_photo.append(
            {
                "photo": f"{Path(f).parent.name}/{Path(f).name}",
                "f1": round(f1_from_counts(*tolerant_counts(mask, m))[0], 3),
                "psnr_damaged": round(psnr(df, cf), 2),
                "psnr_auto": round(psnr(af, cf), 2),
            }
        )

    def db(s, n):
        return round(10 * math.log10(n / max(s, 1e-12)), 3)

    fm, pm, rm = f1_from_counts(*cm)
    fb, pb, rb = f1_from_counts(*cb)
    worst = sorted(per_photo, key=lambda x: x["f1"])[:5]
    return {
        "photos": len(per_photo),
        "detection_f1": round(fm, 4),
        "detection_precision": round(pm, 4),
        "detection_recall": round(rm, 4),
        **({"detection_f1_single_pass_same_threshold": round(f1_from_counts(*c1)[0], 4)} if c1[3] else {}),
        "tophat_f1": round(fb, 4),
        "tophat_precision": round(pb, 4),
        "tophat_recall": round(rb, 4),
        "tophat_threshold": t_base,
        "psnr_damaged": db(se["damaged"], n_px),
        "psnr_auto_repaired": db(se["auto"], n_px),
        "psnr_in_mask_telea": db(se_in["telea"], n_in),
        "psnr_in_mask_model": db(se_in["model"], n_in),
        "outside_mask_changed_auto": changed_auto,
        "outside_mask_changed_true_mask": changed_true,
        "mean_photo_psnr_gain_db": round(
            float(np.mean([p["psnr_auto"] - p["psnr_damaged"] for p in per_photo])), 3
        ),
        "worst_f1_photos": worst,
    }


def big_image(mp: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A test photo enlarged to about mp megapixels (4:3), damaged tile by tile (512 px tiles, the same density as
    in training). Returns (uint8 photo, mask of pixels the damage changed by more than 4/255)."""
    f = photos(SHARED / "train", "test")[0]
    g = load_gray(f)
    W = int(round(math.sqrt(mp * 1e6 * 4 / 3)))
    H = int(round(W * 3 / 4))
    big = cv2.resize(g, (W, H), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    clean = big.copy()
    rng = np.random.default_rng(seed)
    for y in range(0, H, 512):
        for x in range(0, W, 512):
            t = np.ascontiguousarray(big[y : y + 512, x : x + 512])
            add_damage(t, rng, amount=0.5)
            big[y : y + 512, x : x + 512] = t
    m = np.abs(big - clean) > 4 / 255
    return (big * 255).round().astype(np.uint8), m


def timed(fn):
    """(result, wall seconds, CPU seconds of this process) of fn()."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def speed_part(part: str, ckpt: str | None) -> dict:
    """Run in a fresh process: time one operation and report peak RSS."""
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    r = Repairer.load(ckpt)
    out = {}
    if part == "detect1mp":
        img, _ = big_image(1.0)
        r.detect(img[:256, :256])
        runs = [timed(lambda: r.detect(img))[1:] for _ in range(3)]
        out = {
            "detect_1mp_wall_s": round(min(w for w, _ in runs), 3),
            "detect_1mp_cpu_s": round(min(c for _, c in runs), 3),
        }
    elif part == "repair12mp":
        img, m = big_image(12.0)
        fixed, w, c = timed(lambda: r.repair(img, m))
        out.update(repair_12mp_true_mask_wall_s=round(w, 2), repair_12mp_true_mask_cpu_s=round(c, 2))
        out["repair_12mp_mask_share"] = round(float(m.mean()), 4)
        out["repair_12mp_outside_changed"] = int((fixed != img)[~m].sum())
    elif part == "auto12mp":
        img, _ = big_image(12.0)
        (_, mask, _), w, c = timed(lambda: r.auto(img))
        out.update(
            auto_12mp_wall_s=round(w, 2),
            auto_12mp_cpu_s=round(c, 2),
            auto_12mp_mask_share=round(float(mask.mean()), 4),
        )
    out[f"{part}_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def speed(checkpoint: str | None) -> dict:
    """The speed parts, each in a fresh one-thread subprocess (so its peak RSS is its own)."""
    res = {"load_average_1min_at_start": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    for part in ("detect1mp", "repair12mp", "auto12mp"):
        cmd = [sys.executable, __file__, "--part", part] + (
            ["--checkpoint", checkpoint] if checkpoint else []
        )
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        outp = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
        res.update(json.loads(outp.strip().splitlines()[-1]))
        print(part, outp.strip().splitlines()[-1], flush=True)
    res["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--out", default=str(ROOT / "docs" / "repair_eval.json"))
    p.add_argument("--limit", type=int, default=0)
    p.add_argument(
        "--eval-dir", default=None, help="also report on these folders (e.g. ../shared/datasets/eval)"
    )
    p.add_argument("--part", default=None, help=argparse.SUPPRESS)
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument(
        "--speed-only", action="store_true", help="only the speed/memory parts (weights do not matter)"
    )
    a = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    if a.part:
        print(json.dumps(speed_part(a.part, a.checkpoint)))
        return
    ckpt = (Path(a.checkpoint) if a.checkpoint else DEFAULT_CHECKPOINT).resolve()
    r = Repairer.load(a.checkpoint)
    res = {
        "checkpoint": str(ckpt.relative_to(ROOT) if ckpt.is_relative_to(ROOT) else ckpt),
        "checkpoint_sha256": r.checksum,
        "checkpoint_mb": round(ckpt.stat().st_size / 2**20, 3),
        "threshold": r.threshold,
        "low_threshold": r.low_threshold,
        "refiner_used": r.refiner is not None,
        "flip_tta": r.flip_tta,
    }
    if a.speed_only:
        res.update(speed(a.checkpoint))
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
        print(f"wrote {a.out}")
        return
    test = photos(SHARED / "train", "test")
    val = photos(SHARED / "train", "val")
    if a.limit:
        test, val = test[: a.limit], val[: a.limit]
    t0 = time.time()
    t_base = baseline_threshold(val)
    res["heldout"] = quality(r, test, t_base)
    print(json.dumps(res["heldout"], indent=1)[:1500], flush=True)
    if a.eval_dir:
        for d in sorted(Path(a.eval_dir).iterdir()):
            if d.is_dir():
                files = sorted(d.glob("*.png"))[: a.limit or None]
                res[f"eval_{d.name}"] = quality(r, files, t_base)
                print(d.name, res[f"eval_{d.name}"]["detection_f1"], flush=True)
    res["quality_s"] = round(time.time() - t0)
    if not a.skip_speed:
        res.update(speed(a.checkpoint))
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
