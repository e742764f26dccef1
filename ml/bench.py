"""Speed and memory benchmark of the shipped model on this machine.

    python -m ml.bench --json OUT.json [--checkpoint PATH] [--runs 20] [--threads 2] [--skip-12mp]

Measures: preview latency (a 256 px gray, as the platform previews it, 10 hints; median of >= 20 runs after
warm-up); full renders of 1 MP and 12 MP synthetic scans (time and peak RSS, each in a fresh subprocess); DCM on vs
off on the 12 MP scan (time and PSNR between the two outputs); parameters and GFLOPs of one forward pass at 256x256.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch


def synthetic_scan(H: int, W: int, seed: int = 0) -> np.ndarray:
    """A deterministic scan-like gray photo: sky gradient, buildings, textured ground, film grain. (H,W) uint8."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, W, dtype=np.float32)[None, :]
    img = np.broadcast_to(200 - 60 * yy, (H, W)).copy()
    for _ in range(12):  # buildings
        x0, x1 = sorted(rng.uniform(0, 1, 2))
        top = rng.uniform(0.2, 0.6)
        m = (xx >= x0) & (xx <= x0 + (x1 - x0) * 0.4) & (yy >= top) & (yy <= 0.75)
        img[m] = rng.uniform(60, 170)
    ground = yy > 0.75
    tex = np.sin(xx * 300 + yy * 40) * 12 + np.sin(yy * 500) * 8
    img = np.where(ground, 90 + tex, img)
    img += rng.normal(0, 4, size=(H, W)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def count_flops(net, size: int = 256) -> tuple[int, int]:
    """Parameters (trained head + frozen encoder) and multiply-accumulates of one forward pass at size x size
    with 10 hints. Returns (params, MACs)."""
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            macs[0] += out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, torch.nn.Linear):
            macs[0] += out.numel() * mod.in_features

    mods = list(net.modules()) + list(net.encoder.modules())
    hs = [m.register_forward_hook(hook) for m in mods if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    Q = net.args.n_bins
    with torch.no_grad():
        z = torch.zeros(1, dtype=torch.long)
        tok = torch.rand(1, 10, 4) * torch.tensor([1.0, 1.0, 40.0, 40.0])
        net(
            torch.full((1, 1, size, size), 50.0),
            tok,
            torch.ones(1, 10, dtype=torch.bool),
            torch.zeros(1, Q + 2),
            z,
            z,
        )
    for h in hs:
        h.remove()
    # the encoder's ImageNet classifier (_fc) never runs in colorization
    return sum(p.numel() for p in net.parameters()) + sum(p.numel() for p in net.encoder.parameters()), macs[
        0
    ]


def _hints(n: int, seed: int = 1):
    from .hints import Hint

    rng = np.random.default_rng(seed)
    cols = ["#b03030", "#3050b0", "#30a040", "#c0a040", "#806040"]
    return [
        Hint(float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.05, 0.95)), cols[i % len(cols)], radius=0.01)
        for i in range(n)
    ]


def render_once(
    mp: float,
    checkpoint: str | None,
    threads: int,
    use_dcm: bool = True,
    save: str | None = None,
    n_hints: int = 10,
    work_side: int | None = None,
) -> dict:
    """One full render of a synthetic scan of `mp` megapixels (4:3), with n_hints hints. Returns time and peak RSS."""
    from .colorizer import Colorizer

    torch.set_num_threads(threads)
    c = Colorizer.load(checkpoint, work_side=work_side)
    W = int(round((mp * 1e6 * 4 / 3) ** 0.5))
    H = int(round(W * 3 / 4))
    gray = synthetic_scan(H, W)
    t, cpu = time.perf_counter(), time.process_time()
    res = c.colorize(gray, hints=_hints(n_hints), use_dcm=use_dcm)
    dt, dcpu = time.perf_counter() - t, time.process_time() - cpu
    if save:
        np.save(save, res.rgb)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "size": [H, W],
        "seconds": round(dt, 3),
        "cpu_seconds": round(dcpu, 3),
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "timings": res.timings,
        "max_hint_error": max(res.hint_errors, default=0.0),
        "work_side": c.settings.work_side,
    }


def _subprocess_render(mp, checkpoint, threads, use_dcm, save=None, n_hints=10, work_side=None) -> dict:
    code = (
        "import json,sys; from ml.bench import render_once; "
        f"print(json.dumps(render_once({mp}, {checkpoint!r}, {threads}, {use_dcm}, {save!r}, {n_hints}, {work_side})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", default=None)
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-12mp", action="store_true")
    p.add_argument("--dcm-work-side", type=int, default=1536, help="0 = skip the DCM on/off renders")
    a = p.parse_args(argv)
    from .colorizer import Colorizer

    torch.set_num_threads(a.threads)
    c = Colorizer.load(a.checkpoint)
    rep: dict = {
        "threads": a.threads,
        "cpu_count": os.cpu_count(),
        "model_version": c.model_version,
        "loadavg_at_start": list(os.getloadavg()),
    }
    params, macs = count_flops(c.net, 256)
    rep["params"] = params
    rep["gmacs_256"] = round(macs / 1e9, 3)
    rep["gflops_256"] = round(2 * macs / 1e9, 3)
    print(f"params {params:,}  GFLOPs@256^2 {rep['gflops_256']} ({rep['gmacs_256']} GMACs)")

    # What the platform's live preview feeds the model: the photo's gray at 256 px on its long side
    # (colorize/services/model.load_gray(photo, PREVIEW_SIDE)), rendered back at that size.
    gray = synthetic_scan(192, 256, seed=3)
    hints = _hints(10)
    for _ in range(3):
        c.colorize(gray, hints=hints, max_side=256)
    ts, cpus, parts = [], [], []
    for _ in range(max(a.runs, 20)):
        t, cpu = time.perf_counter(), time.process_time()
        r = c.colorize(gray, hints=hints, max_side=256)
        ts.append(time.perf_counter() - t)
        cpus.append(time.process_time() - cpu)
        parts.append(r.timings)
    rep["preview_256_10hints_ms"] = {
        "median": round(1000 * statistics.median(ts), 1), "p90": round(1000 * float(np.percentile(ts, 90)), 1),
        "min": round(1000 * min(ts), 1), "cpu_median": round(1000 * statistics.median(cpus), 1),
        "runs": len(ts), "stages_median_ms": {k: round(1000 * statistics.median(p[k] for p in parts), 1)
                                              for k in parts[0] if k.endswith("_s")},
    }  # fmt: skip
    pv = rep["preview_256_10hints_ms"]
    print(f"preview 256 px, 10 hints: median {pv['median']} ms (min {pv['min']}, CPU {pv['cpu_median']} ms)")

    rep["render_1mp"] = _subprocess_render(1.0, a.checkpoint, a.threads, True)
    print(f"1 MP: {rep['render_1mp']['seconds']} s, peak RSS {rep['render_1mp']['peak_rss_mb']} MB")
    if not a.skip_12mp:
        rep["render_12mp"] = _subprocess_render(12.0, a.checkpoint, a.threads, True)
        print(f"12 MP: {rep['render_12mp']['seconds']} s, peak RSS {rep['render_12mp']['peak_rss_mb']} MB")
    if not a.skip_12mp and a.dcm_work_side > 0:
        # DCM on vs off: automatic render (tiles holding a hint always take the full network) at a working size
        # big enough that the tiled network stage matters
        ws = a.dcm_work_side
        tmp = Path("/tmp") / f"ml_bench_{os.getpid()}"
        on = _subprocess_render(12.0, a.checkpoint, a.threads, True, str(tmp) + "_on.npy", 0, ws)
        off = _subprocess_render(12.0, a.checkpoint, a.threads, False, str(tmp) + "_off.npy", 0, ws)
        from .metrics import psnr

        x, y = np.load(str(tmp) + "_on.npy"), np.load(str(tmp) + "_off.npy")
        rep["dcm_12mp"] = {
            "on_s": on["seconds"], "off_s": off["seconds"],
            "on_cpu_s": on["cpu_seconds"], "off_cpu_s": off["cpu_seconds"],
            "saving_total_cpu": round(1 - on["cpu_seconds"] / off["cpu_seconds"], 3),
            "saving_total": round(1 - on["seconds"] / off["seconds"], 3),
            "tiles_on_s": on["timings"]["tiles_s"], "tiles_off_s": off["timings"]["tiles_s"],
            "saving_network_stage": round(1 - on["timings"]["tiles_s"] / max(off["timings"]["tiles_s"], 1e-9), 3),
            "tiles": on["timings"]["tiles"], "tiles_easy": on["timings"]["tiles_easy"],
            "psnr_on_vs_off_db": round(psnr(x, y), 2) if not np.array_equal(x, y) else "identical",
            "work_side": ws,
        }  # fmt: skip
        for f in (x, y):
            del f
        for s in ("_on.npy", "_off.npy"):
            Path(str(tmp) + s).unlink(missing_ok=True)
        print(f"DCM (12 MP, work side {ws}, no hints): {rep['dcm_12mp']}")
    rep["loadavg_at_end"] = list(os.getloadavg())
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(rep, indent=2) + "\n")


if __name__ == "__main__":
    main()
