"""Choose the Colorizer's inference settings on the training set's held-out split (never on eval/).

    python bench/ml_tune.py --checkpoint runs/main/ckpt.pt --data runs/val --limit 16 --json runs/tune.json

Tries the mix of the annealed mean of the bin distribution into the output where no hint attends (colourfulness)
at 0, 1, 5 and 20 hints beside Levin and gray; then the working size and the DCM threshold on tiles of 3x-upscaled
photos. `--data` is a folder of the checkpoint's held-out training photos (its `val_names`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.checkpoint import load_checkpoint  # noqa: E402
from ml.colorizer import Colorizer  # noqa: E402
from ml.evaluate import evaluate, l_to_gray, load_eval_image  # noqa: E402
from ml.metrics import psnr  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", default="runs/val")
    p.add_argument("--limit", type=int, default=16)
    p.add_argument("--json", default="runs/tune.json")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--skip-tiles", action="store_true", help="skip the working-size and DCM part")
    p.add_argument("--mixes", default="0,0.3,0.6")
    p.add_argument("--null-biases", default="1")
    p.add_argument(
        "--hint-hist", action="store_true", help="also try feeding the hint colours' histogram to g"
    )
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    ck, digest = load_checkpoint(a.checkpoint, require_sidecar=False)
    out = {"settings": {}, "dcm": {}}
    rep = evaluate([a.data], [0, 1, 5, 20], ["levin", "gray"], size=256, limit=a.limit, log=lambda *_: None)
    for m in ("levin", "gray"):
        out["settings"][m] = {n: (v["psnr"], v["colorfulness_ratio"]) for n, v in rep["pooled"][m].items()}
        print(m, out["settings"][m], flush=True)
    mixes = [float(x) for x in a.mixes.split(",")]
    biases = [float(x) for x in a.null_biases.split(",")]
    configs = [(m, 0.0, False) for m in mixes] + [(0.0, b, False) for b in biases if b != 0.0]
    configs += [(0.0, 0.0, True)] if a.hint_hist else []
    for mix, nb, hh in configs:
        c = Colorizer(ck, digest, anneal_mix=mix, anneal_mix_hinted=mix, null_bias=nb, hint_hist=hh)
        rep = evaluate(
            [a.data], [0, 1, 5, 20], ["model"], size=256, limit=a.limit, colorizer=c, log=lambda *_: None
        )
        r = {
            n: (v["psnr"], v["colorfulness_ratio"], v["ciede2000"]) for n, v in rep["pooled"]["model"].items()
        }
        out["settings"][f"mix={mix},null_bias={nb},hint_hist={hh}"] = r
        print(f"mix={mix} null_bias={nb} hint_hist={hh}: " + "  ".join(f"{n}: {v[0]:.2f} dB cf {v[1]:.2f} de {v[2]:.2f}" for n, v in r.items()),
              flush=True)  # fmt: skip
    if a.skip_tiles:
        Path(a.json).write_text(json.dumps(out, indent=2) + "\n")
        return
    # DCM: upscale photos 3x so they are tiled; compare thresholds with DCM off
    from ml.data import list_images

    files = list_images(a.data)[: max(a.limit // 2, 4)]
    imgs = []
    for f in files:
        rgb = load_eval_image(f, 768)
        imgs.append(rgb)
    from ml.colorspace import rgb_to_lab

    grays = [l_to_gray(rgb_to_lab(x)[..., 0]) for x in imgs]
    out["work_side"] = {}
    for ws in [256, 512, 768]:
        c = Colorizer(ck, digest, work_side=ws)
        t = time.process_time()
        ps = [psnr(x, c.colorize(g, use_dcm=False).rgb) for x, g in zip(imgs, grays, strict=True)]
        out["work_side"][ws] = {"psnr": float(np.mean(ps)), "cpu_s": (time.process_time() - t) / len(imgs)}
        print(f"work_side {ws}: {np.mean(ps):.2f} dB, {out['work_side'][ws]['cpu_s']:.2f} s CPU", flush=True)
    for ws in [768]:
        ref = [Colorizer(ck, digest, work_side=ws).colorize(g, use_dcm=False) for g in grays]
        for thr in [0.1, 0.3, 0.5, 0.7, 0.9]:
            c = Colorizer(ck, digest, work_side=ws, dcm_threshold=thr)
            ps, easy, tiles = [], 0, 0
            for x, g, r0 in zip(imgs, grays, ref, strict=True):
                r = c.colorize(g, use_dcm=True)
                ps.append(psnr(x, r.rgb) - psnr(x, r0.rgb))
                easy += r.timings["tiles_easy"]
                tiles += r.timings["tiles"]
            out["dcm"][f"{ws}/{thr}"] = {
                "psnr_delta_db": float(np.mean(ps)),
                "easy_share": easy / max(tiles, 1),
            }
            print(
                f"work {ws} dcm threshold {thr}: psnr delta {np.mean(ps):+.3f} dB, easy tiles {easy}/{tiles}",
                flush=True,
            )
    Path(a.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
