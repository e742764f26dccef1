"""The DCM's curve: share of easy tiles, render time and PSNR against the threshold (no threshold = DCM off).

    python bench/ml_dcm_curve.py --checkpoint ml/weights/findcolor.pt --eval ../shared/datasets/eval --limit 2 \
        --historical ../shared/datasets/historical --json docs/model_dcm.json

eval/ photos are upscaled to about 12 MP (so they are tiled; ground truth = the upscaled colour photo) and rendered
automatically (no hints) at `--work-side`; historical scans (no ground truth) give the share of easy tiles only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml import Colorizer  # noqa: E402
from ml.data import list_images  # noqa: E402
from ml.metrics import psnr  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--eval", default="../shared/datasets/eval")
    p.add_argument("--historical", default="../shared/datasets/historical")
    p.add_argument("--limit", type=int, default=2)
    p.add_argument("--work-side", type=int, default=1024)
    p.add_argument("--thresholds", default="0.1,0.3,0.5,0.7,0.9")
    p.add_argument("--json", default=None)
    p.add_argument("--repeat", type=int, default=3, help="timed renders per photo and threshold (median)")
    a = p.parse_args()
    torch.set_num_threads(1)
    thresholds = [None] + [float(x) for x in a.thresholds.split(",")]
    cs = {t: Colorizer.load(a.checkpoint, work_side=a.work_side, dcm_threshold=t or 0.5) for t in thresholds}
    rows = {str(t): {"cpu_s": [], "psnr": [], "easy": 0, "tiles": 0} for t in thresholds}
    for d in sorted(Path(a.eval).iterdir()):
        for f in list_images(d)[: a.limit]:
            with Image.open(f) as im:
                im = im.convert("RGB")
                s = (12e6 / (im.width * im.height)) ** 0.5
                gt = np.asarray(im.resize((round(im.width * s), round(im.height * s)), Image.BICUBIC))
            gray = np.asarray(Image.fromarray(gt).convert("L"))
            # Untimed warm-up at this size: otherwise whichever threshold runs first pays the allocations and
            # looks slower (it made "off" 0.5 s slower and a threshold that sends no tile anywhere "save" 19 %).
            cs[None].colorize(gt, use_dcm=False)
            times, results = {t: [] for t in thresholds}, {}
            for _ in range(a.repeat):  # thresholds interleaved, median of the repeats: the machine is shared
                for t in thresholds:
                    c0 = time.process_time()
                    results[t] = cs[t].colorize(gt, use_dcm=t is not None)  # RGB input: its L is used
                    times[t].append(time.process_time() - c0)
            for t in thresholds:
                r, row = results[t], rows[str(t)]
                row["cpu_s"].append(float(np.median(times[t])))
                row["psnr"].append(psnr(gt, r.rgb))
                row["easy"] += r.timings["tiles_easy"]
                row["tiles"] += r.timings["tiles"]
            del gray
            print(f"{f.name}: " + ", ".join(f"{k}: {v['psnr'][-1]:.2f} dB {v['cpu_s'][-1]:.1f}s" for k, v in rows.items()),
                  flush=True)  # fmt: skip
    off = rows["None"]
    out = {"work_side": a.work_side, "eval_photos": len(off["psnr"]), "curve": {}}
    for k, v in rows.items():
        out["curve"][k] = {
            "easy_share": v["easy"] / max(v["tiles"], 1),
            "cpu_s": float(np.mean(v["cpu_s"])),
            "time_saved": 1 - float(np.mean(v["cpu_s"])) / float(np.mean(off["cpu_s"])),
            "psnr": float(np.mean(v["psnr"])),
            "psnr_loss_db": float(np.mean(off["psnr"]) - np.mean(v["psnr"])),
        }
    hist = {}
    for t in thresholds[1:]:
        easy = tiles = 0
        for f in sorted(Path(a.historical).rglob("*.png"))[:: max(1, 1)][:12]:
            with Image.open(f) as im:
                g = np.asarray(im.convert("L"))
            r = cs[t].colorize(g, use_dcm=True)
            easy += r.timings["tiles_easy"]
            tiles += r.timings["tiles"]
        hist[str(t)] = {"easy_share": easy / max(tiles, 1), "tiles": tiles}
    out["historical"] = hist
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
