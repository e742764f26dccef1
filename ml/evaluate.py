"""Evaluate colorization on folders of colour photos: the model vs Levin 2004 vs gray, at several hint counts.

    python -m ml.evaluate --data ../shared/datasets/eval/kodak24 [--data DIR ...] --hints 0,1,5,10,20,50 \
        --methods model,levin,gray --json OUT.json --plot OUT.png [--size 256] [--limit N]

Each photo is resized to --size px on the long side (0 = full size); its L is the input, its colours the ground
truth. Hints are seeded uniform random 3x3 patches carrying the patch's mean ab, identical for every method.
Metrics: PSNR (RGB, dB), SSIM, mean CIEDE2000, colourfulness ratio (prediction / ground truth) and hint chroma
error (max Lab ab error at the hint centres). Reported per set and pooled over all photos.
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import levin
from .colorspace import lab_to_rgb, rgb_to_lab
from .data import list_images, load_rgb
from .hints import Hint, sample_eval_hints
from .metrics import ciede2000, colorfulness, psnr, ssim

METRICS = ("psnr", "ssim", "ciede2000", "colorfulness_ratio", "hint_error")


def l_to_gray(L: np.ndarray) -> np.ndarray:
    """Lightness (H,W) in [0,100] -> the sRGB gray value (H,W) float in [0,1] that has exactly this L."""
    fy = (np.asarray(L, np.float64) + 16) / 116
    Y = np.where(fy**3 > 0.008856, fy**3, (fy - 16 / 116) / 7.787)
    return np.where(Y > 0.0031308, 1.055 * np.power(np.clip(Y, 0, None), 1 / 2.4) - 0.055, 12.92 * Y).clip(
        0, 1
    )


def load_eval_image(path, size: int) -> np.ndarray:
    """Read a photo and resize so its long side is `size` (0 = unchanged). Returns (H,W,3) uint8."""
    rgb = load_rgb(path)
    if size and max(rgb.shape[:2]) != size:
        H, W = rgb.shape[:2]
        s = size / max(H, W)
        im = Image.fromarray(rgb).resize((max(round(W * s), 1), max(round(H * s), 1)), Image.LANCZOS)
        rgb = np.asarray(im)
    return rgb


def render(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """L (H,W) + ab (H,W,2) -> (H,W,3) uint8 sRGB."""
    return np.round(lab_to_rgb(np.concatenate([L[..., None], ab], axis=2)) * 255).astype(np.uint8)


def run_method(method: str, L, hints_px, colorizer=None, **kw) -> tuple[np.ndarray, float]:
    """Predict ab (H,W,2) for one method; also returns the max hint chroma error (0 if no hints)."""
    H, W = L.shape
    if method == "gray":
        ab = np.zeros((H, W, 2), np.float32)
    elif method == "levin":
        mask = np.zeros((H, W), bool)
        vals = np.zeros((H, W, 2), np.float32)
        for r, c, a, b in hints_px:
            mask[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = True
            vals[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = (a, b)
        ab = levin.colorize(L, mask, vals) if hints_px else np.zeros((H, W, 2), np.float32)
    elif method == "model":
        long = max(H, W)
        hints = [
            Hint(x=(c + 0.5) / W, y=(r + 0.5) / H, color="#000000", lab_ab=(a, b), radius=1.5 / long)
            for r, c, a, b in hints_px
        ]
        res = colorizer.colorize(l_to_gray(L), hints=hints, **kw)
        ab = res.ab
    else:
        raise ValueError(f"unknown method {method!r}")
    err = max((float(np.hypot(ab[r, c, 0] - a, ab[r, c, 1] - b)) for r, c, a, b in hints_px), default=0.0)
    return ab, err


def evaluate(
    data_dirs, hint_counts, methods, size=256, limit=0, seed=0, colorizer=None, model_kwargs=None, log=print
) -> dict:
    """Run the evaluation. Returns {"sets": {set: {method: {n: {metric: mean}}}}, "pooled": ..., "meta": ...}."""
    if "model" in methods and colorizer is None:
        from .colorizer import Colorizer

        colorizer = Colorizer.load()
    rows = []  # (set, method, n, metrics dict)
    t0 = time.time()
    for d in data_dirs:
        name = Path(d).name
        files = list_images(d)
        if limit:
            files = files[:limit]
        for f in files:
            rgb = load_eval_image(f, size)
            lab = rgb_to_lab(rgb)
            L, ab_gt = lab[..., 0], lab[..., 1:]
            cf_gt = colorfulness(rgb)
            for n in hint_counts:
                hints_px = sample_eval_hints(
                    ab_gt, n, seed=zlib.crc32(f"{seed}/{name}/{f.name}/{n}".encode())
                )
                for m in methods:
                    ab, herr = run_method(m, L, hints_px, colorizer, **(model_kwargs or {}))
                    pred = render(L, ab)
                    rows.append((name, m, n, {
                        "psnr": psnr(rgb, pred), "ssim": ssim(rgb, pred),
                        "ciede2000": float(ciede2000(lab, rgb_to_lab(pred)).mean()),
                        "colorfulness_ratio": colorfulness(pred) / max(cf_gt, 1e-6), "hint_error": herr,
                    }))  # fmt: skip
        log(f"{name}: {len(files)} images done ({time.time() - t0:.0f}s)")

    def summarize(sel):
        out = {}
        for m in methods:
            out[m] = {}
            for n in hint_counts:
                rs = [r[3] for r in sel if r[1] == m and r[2] == n]
                out[m][str(n)] = {k: float(np.mean([r[k] for r in rs])) for k in METRICS}
                out[m][str(n)]["max_hint_error"] = float(max(r["hint_error"] for r in rs))
                out[m][str(n)]["images"] = len(rs)
        return out

    sets = sorted({r[0] for r in rows})
    return {
        "sets": {s: summarize([r for r in rows if r[0] == s]) for s in sets},
        "pooled": summarize(rows),
        "meta": {
            "size": size,
            "limit": limit,
            "seed": seed,
            "hints": list(hint_counts),
            "methods": list(methods),
            "data": [str(d) for d in data_dirs],
            "seconds": round(time.time() - t0, 1),
            "model_version": getattr(colorizer, "model_version", None),
            "model_sha256": getattr(colorizer, "checksum", None),
        },
    }


def profile_experiment(data_dirs, profiles: dict, colorizer, size=256, limit=0, log=print) -> dict:
    """What context profiles change, at 0 hints: PSNR and colourfulness with no global hint, with each profile,
    with the best-matching ("right") and worst-matching ("wrong") profile, and with the photo itself as reference.

    Right/wrong are chosen per photo by the L1 distance between its true ab histogram and each profile's histogram,
    i.e. an oracle grouping of eval/ photos by scene colour statistics (the profiles themselves come from train/).
    """
    from . import bins as B
    from .profiles import Profile

    profs = {k: (v if isinstance(v, Profile) else Profile.from_dict(v)) for k, v in profiles.items()}
    rows = []
    for d in data_dirs:
        files = list_images(d)[: limit or None]
        for f in files:
            rgb = load_eval_image(f, size)
            lab = rgb_to_lab(rgb)
            L = lab[..., 0]
            hist = B.histogram(lab[..., 1:])
            dist = {k: float(np.abs(p.hist - hist).sum()) for k, p in profs.items()}
            cf = colorfulness(rgb)

            def score(L=L, rgb=rgb, cf=cf, **kw):
                pred = colorizer.colorize(l_to_gray(L), **kw).rgb
                return psnr(rgb, pred), colorfulness(pred) / max(cf, 1e-6)

            r = {"none": score(), "reference_self": score(reference=rgb)}
            for k, p in profs.items():
                r[k] = score(profile=p)
            r["right"] = r[min(dist, key=dist.get)]
            r["wrong"] = r[max(dist, key=dist.get)]
            r["right_key"] = min(dist, key=dist.get)
            rows.append(r)
        log(f"profiles: {Path(d).name} done")
    keys = ["none", "right", "wrong", "reference_self"] + list(profs)
    out = {k: {"psnr": float(np.mean([r[k][0] for r in rows])),
               "colorfulness_ratio": float(np.mean([r[k][1] for r in rows]))} for k in keys}  # fmt: skip
    out["images"] = len(rows)
    out["right_profile_counts"] = {k: sum(r["right_key"] == k for r in rows) for k in profs}
    return out


COLORS = {"model": (200, 40, 40), "levin": (40, 90, 200), "gray": (110, 110, 110)}


def plot(report: dict, path: str, metric: str = "psnr") -> None:
    """Draw pooled PSNR vs number of hints per method (and the per-set curves thin) as a PNG with Pillow."""
    W, H, m0 = 760, 460, 60
    im = Image.new("RGB", (W, H), "white")
    dr = ImageDraw.Draw(im)
    pooled = report["pooled"]
    methods = list(pooled)
    ns = [int(n) for n in pooled[methods[0]]]
    vals = [v[metric] for m in methods for v in pooled[m].values()]
    vals += [v[metric] for s in report["sets"].values() for m in s for v in s[m].values()]
    lo, hi = np.floor(min(vals)) - 0.5, np.ceil(max(vals)) + 0.5
    xs = {n: m0 + i * (W - 2 * m0 - 100) / max(len(ns) - 1, 1) for i, n in enumerate(ns)}

    def y(v):
        return H - m0 - (v - lo) / (hi - lo) * (H - 2 * m0)

    dr.rectangle([m0, m0, W - m0 - 100, H - m0], outline="black")
    for t in np.arange(np.ceil(lo), hi, 1.0 if hi - lo < 12 else 2.0):
        dr.line([m0 - 4, y(t), m0, y(t)], fill="black")
        dr.text((8, y(t) - 6), f"{t:.0f}", fill="black")
    for n, x in xs.items():
        dr.text((x - 6, H - m0 + 6), str(n), fill="black")
    dr.text((W / 2 - 80, H - 25), "number of hints (3x3 patches)", fill="black")
    dr.text(
        (m0, 20),
        f"{metric.upper()} (dB) on eval/, size {report['meta']['size']} px: pooled (thick), per set (thin)",
        fill="black",
    )
    for m in methods:
        col = COLORS.get(m, (0, 150, 0))
        for s in report["sets"].values():
            pts = [(xs[int(n)], y(v[metric])) for n, v in s[m].items()]
            dr.line(pts, fill=tuple(int(c * 0.4 + 150) for c in col), width=1)
        pts = [(xs[int(n)], y(v[metric])) for n, v in pooled[m].items()]
        dr.line(pts, fill=col, width=3)
        for px, py in pts:
            dr.ellipse([px - 3, py - 3, px + 3, py + 3], fill=col)
    for i, m in enumerate(methods):
        dr.line(
            [W - m0 - 80, m0 + 20 + 20 * i, W - m0 - 55, m0 + 20 + 20 * i],
            fill=COLORS.get(m, (0, 150, 0)),
            width=3,
        )
        dr.text((W - m0 - 50, m0 + 14 + 20 * i), m, fill="black")
    im.save(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--hints", default="0,1,5,10,20,50")
    p.add_argument("--methods", default="model,levin,gray")
    p.add_argument("--json", default=None)
    p.add_argument("--plot", default=None)
    p.add_argument("--size", type=int, default=256, help="long side in px; 0 = full size")
    p.add_argument("--limit", type=int, default=0, help="at most N images per set (0 = all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--profiles",
        default=None,
        help="profiles JSON {key: ml.Profile.to_dict()} for the profile experiment",
    )
    p.add_argument("--profiles-only", action="store_true", help="run only the profile experiment")
    a = p.parse_args(argv)
    import torch

    torch.set_num_threads(a.threads)
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    colorizer = None
    if "model" in methods:
        from .colorizer import Colorizer

        colorizer = Colorizer.load(a.checkpoint)
    counts = [int(n) for n in a.hints.split(",")]
    if a.profiles_only:
        rep = {"meta": {"size": a.size, "limit": a.limit, "model_version": colorizer.model_version}}
        counts = []
    else:
        rep = evaluate(a.data, counts, methods, a.size, a.limit, a.seed, colorizer)
    if a.profiles:
        rep["profiles"] = profile_experiment(
            a.data, json.loads(Path(a.profiles).read_text()), colorizer, a.size, a.limit
        )
        print("profiles:", json.dumps(rep["profiles"]))
    for n in counts:
        print(
            f"hints {n:>3}: "
            + "  ".join(
                f"{m} {rep['pooled'][m][str(n)]['psnr']:.2f} dB (cf {rep['pooled'][m][str(n)]['colorfulness_ratio']:.2f})"
                for m in methods
            )
        )
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(rep, indent=2) + "\n")
    if a.plot and counts:
        plot(rep, a.plot)


if __name__ == "__main__":
    main()
