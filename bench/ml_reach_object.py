"""How well a hint with reach "object" stays on its object (issue 23), on held-out training photos (never eval/).

Photos: the checkpoint's own held-out split (`val_names`: the 48 training photos its training run kept out by its
seeded split, as `bench/ml_choose.py` scores on), read from ../shared/datasets. The training photos come without
segmentations here, so an "object" is a colour-cluster segment of the ground truth: k-means (k = 6) on Lab, then
the largest 8-connected component of a cluster that covers 1-25 % of the photo. One hint is placed at the
segment's deepest pixel (farthest from its border), radius 0.02, in a saturated red (#c02030, the medal case) and,
separately, in the segment's true mean colour. For each reach (object, region, wide) the bench reports how much
the hint moves the chroma of pixels more than N px outside the segment (mean and 95th percentile, Lab units,
against the same photo with no hint), how much it moves the segment itself, and the medal-on-khaki image of
ml/tests/test_hint_reach.py. Timings go with it (CPU, 1 thread).

    python bench/ml_reach_object.py [--limit 48] [--side 256] [--n 8] [--out docs/model_reach.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml import Hint  # noqa: E402
from ml.checkpoint import load_checkpoint  # noqa: E402
from ml.colorizer import Colorizer  # noqa: E402
from ml.colorspace import rgb_to_lab  # noqa: E402
from ml.evaluate import l_to_gray, load_eval_image  # noqa: E402
from ml.hints import REACHES  # noqa: E402

RED = "#c02030"


def kmeans(X: np.ndarray, k: int, seed: int = 0, iters: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    C = X[rng.choice(len(X), k, replace=False)]
    for _ in range(iters):
        lab = ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)
        C = np.stack([X[lab == j].mean(0) if (lab == j).any() else C[j] for j in range(k)])
    return lab


def object_segment(lab: np.ndarray) -> np.ndarray | None:
    """The chosen segment (H,W) bool of a ground-truth Lab image, or None when no cluster fits."""
    H, W = lab.shape[:2]
    X = lab.reshape(-1, 3) * np.array([0.5, 1.0, 1.0])  # colour matters more than lightness here
    labels = kmeans(X, 6).reshape(H, W)
    best = None
    for j in range(6):
        comp, n = ndimage.label(labels == j, structure=np.ones((3, 3)))
        if n == 0:
            continue
        sizes = ndimage.sum(np.ones_like(comp), comp, index=np.arange(1, n + 1))
        i = int(np.argmax(sizes))
        frac = sizes[i] / (H * W)
        if 0.01 <= frac <= 0.25 and (best is None or sizes[i] > best[0]):
            best = (sizes[i], ndimage.binary_opening(comp == i + 1, iterations=1))
    return None if best is None or not best[1].any() else best[1]


def moved(c: Colorizer, gray, hint: Hint, base) -> np.ndarray:
    return np.linalg.norm(c.colorize(gray, hints=[hint]).ab - base, axis=2)


def medal(c: Colorizer) -> dict:
    from ml.tests.test_hint_reach import medal_on_khaki

    g, (r0, r1, c0, c1) = medal_on_khaki()
    H, W = g.shape
    base = c.colorize(g).ab
    field = np.ones(g.shape, bool)
    field[r0 - 8 : r1 + 8, c0 - 8 : c1 + 8] = False
    field[:, :30] = field[:, -30:] = False
    out = {}
    for reach in REACHES:
        m = moved(c, g, Hint((c0 + c1) / 2 / W, (r0 + r1) / 2 / H, RED, radius=0.02, reach=reach), base)
        out[reach] = {
            "field_mean": round(float(m[field].mean()), 2),
            "field_p95": round(float(np.percentile(m[field], 95)), 2),
            "ribbon_mean": round(float(m[r0:r1, c0:c1].mean()), 2),
        }
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--limit", type=int, default=48)
    p.add_argument("--side", type=int, default=256)
    p.add_argument(
        "--n", type=int, default=8, help="pixels outside the segment that do not count (its border)"
    )
    p.add_argument("--out", default=None)
    a = p.parse_args()
    torch.set_num_threads(1)
    ck, _digest = load_checkpoint(a.checkpoint)
    names = list(ck.get("val_names", []))[: a.limit]
    c = Colorizer.load(a.checkpoint)
    rows = {reach: {"red": [], "true": []} for reach in REACHES}
    used, times = [], []
    for name in names:
        path = (ROOT / name) if not Path(name).is_absolute() else Path(name)
        if not path.exists():
            path = (
                ROOT.parent / "shared" / Path(name).relative_to("../shared")
                if name.startswith("../")
                else path
            )
        if not path.exists():
            continue
        rgb = load_eval_image(path, a.side)
        lab = rgb_to_lab(rgb.astype(np.float64) / 255.0)
        seg = object_segment(lab)
        if seg is None:
            continue
        H, W = seg.shape
        depth = ndimage.distance_transform_edt(seg)
        r, col = np.unravel_index(int(np.argmax(depth)), seg.shape)
        outside = ndimage.distance_transform_edt(~seg) > a.n
        gray = l_to_gray(lab[..., 0]).astype(np.float32)
        base = c.colorize(gray).ab
        true_ab = tuple(float(v) for v in lab[seg][:, 1:].mean(0))
        for reach in REACHES:
            for kind in ("red", "true"):
                kw = {"color": RED} if kind == "red" else {"color": "#808080", "lab_ab": true_ab}
                hint = Hint((col + 0.5) / W, (r + 0.5) / H, radius=0.02, reach=reach, **kw)
                t0 = time.perf_counter()
                m = moved(c, gray, hint, base)
                times.append(time.perf_counter() - t0)
                rows[reach][kind].append(
                    (float(m[outside].mean()), float(np.percentile(m[outside], 95)), float(m[seg].mean()))
                )
        used.append(name)
    summary = {}
    for reach in REACHES:
        summary[reach] = {}
        for kind in ("red", "true"):
            R = np.array(rows[reach][kind])
            summary[reach][kind] = {
                "outside_mean": round(float(R[:, 0].mean()), 2),
                "outside_p95_mean": round(float(R[:, 1].mean()), 2),
                "photos_outside_mean_under_4": int((R[:, 0] < 4).sum()),
                "segment_mean": round(float(R[:, 2].mean()), 2),
            }
    result = {
        "checkpoint_version": c.model_version,
        "photos": len(used),
        "side": a.side,
        "n_px": a.n,
        "held_out": "checkpoint val_names (the training run's seeded split)",
        "segments": "k-means (k=6) colour clusters of the ground truth, largest component covering 1-25 %",
        "reach": summary,
        "medal_on_khaki": medal(c),
        "colorize_s_mean": round(float(np.mean(times)), 3),
    }
    print(json.dumps(result, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
