"""Fill the measured tables of docs/model.md from the JSON reports of ml.evaluate, ml.bench and bench/ml_tune.py.

    python bench/ml_report.py --eval256 docs/model_eval.json --evalfull docs/model_eval_full.json \
        --bench docs/model_bench.json --tune docs/model_tune.json --doc docs/model.md

Each table goes between <!-- NAME:start --> and <!-- NAME:end --> markers in the doc.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path


def eval_table(rep: dict) -> str:
    methods = list(rep["pooled"])
    ns = list(rep["pooled"][methods[0]])
    lines = []
    groups = [("pooled", rep["pooled"])] + list(rep["sets"].items())
    for name, block in groups:
        n_img = block[methods[0]][ns[0]]["images"]
        lines.append(f"\n**{name}** ({n_img} images)\n")
        lv = "levin" in methods
        lines.append(
            "| hints | "
            + " | ".join(f"{m} PSNR" for m in methods)
            + " | model SSIM |"
            + (" levin SSIM |" if lv else "")
            + " model ΔE00 |"
            + (" levin ΔE00 |" if lv else "")
            + (" gray ΔE00 |" if "gray" in methods else "")
            + " model colourfulness / GT | model max hint error |"
        )
        lines.append("|---" * (len(methods) + (7 if lv else 5) + ("gray" in methods)) + "|")
        for n in ns:
            row = [n] + [f"{block[m][n]['psnr']:.2f}" for m in methods]
            g = lambda m, k, b=block, n=n: b.get(m, {}).get(n, {}).get(k, float("nan"))  # noqa: E731
            row += [f"{g('model', 'ssim'):.3f}"] + ([f"{g('levin', 'ssim'):.3f}"] if lv else [])
            row += [f"{g('model', 'ciede2000'):.2f}"] + ([f"{g('levin', 'ciede2000'):.2f}"] if lv else [])
            row += [f"{g('gray', 'ciede2000'):.2f}"] if "gray" in methods else []
            row += [f"{g('model', 'colorfulness_ratio'):.2f}", f"{g('model', 'max_hint_error'):.2e}"]
            lines.append("| " + " | ".join(str(x) for x in row) + " |")
    return "\n".join(lines) + "\n"


def profiles_table(p: dict) -> str:
    lines = [
        f"{p['images']} photos, 0 hints, 256 px. Right/wrong = oracle best/worst-matching profile per photo.\n",
        "| global hint | PSNR (dB) | colourfulness / GT |",
        "|---|---|---|",
    ]
    for k, v in p.items():
        if isinstance(v, dict) and "psnr" in v:
            lines.append(f"| {k} | {v['psnr']:.2f} | {v['colorfulness_ratio']:.2f} |")
    lines.append(f"\nBest-matching profile counts: {p['right_profile_counts']}")
    return "\n".join(lines) + "\n"


def bench_table(b: dict) -> str:
    pv = b["preview_256_10hints_ms"]
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| parameters | {b['params']:,} |",
        f"| GFLOPs at 256² (one full forward) | {b['gflops_256']} |",
        f"| preview 256 px, 10 hints: median wall (of {pv['runs']}) | {pv['median']} ms |",
        f"| preview: fastest run / median CPU time | {pv['min']} ms / {pv['cpu_median']} ms |",
        f"| preview stages (median ms) | {pv['stages_median_ms']} |",
    ]
    for k in ("render_1mp", "render_12mp"):
        if k in b:
            r = b[k]
            lines.append(
                f"| {k.replace('render_', '')} scan {r['size'][1]}x{r['size'][0]}: wall / CPU / peak RSS | "
                f"{r['seconds']} s / {r.get('cpu_seconds', '?')} s / {r['peak_rss_mb']} MB |"
            )
    if "dcm_12mp" in b:
        d = b["dcm_12mp"]
        lines.append(
            f"| DCM on vs off, 12 MP: wall | {d['on_s']} s vs {d['off_s']} s (saving {d['saving_total']:.0%}) |"
        )
        if "on_cpu_s" in d:
            lines.append(
                f"| DCM on vs off, 12 MP: CPU | {d['on_cpu_s']} s vs {d['off_cpu_s']} s "
                f"(saving {d['saving_total_cpu']:.0%}) |"
            )
        lines.append(
            f"| DCM network stage (tiles) | {d['tiles_on_s']} s vs {d['tiles_off_s']} s "
            f"(saving {d['saving_network_stage']:.0%}); easy tiles {d['tiles_easy']}/{d['tiles']} |"
        )
        lines.append(f"| DCM on vs off output PSNR | {d['psnr_on_vs_off_db']} dB |")
    lines.append(
        f"| load average during the run (start → end) | {[round(x, 1) for x in b['loadavg_at_start']]} → "
        f"{[round(x, 1) for x in b['loadavg_at_end']]} |"
    )
    return "\n".join(lines) + "\n"


def tune_table(t: dict) -> str:
    """bench/ml_choose.py's table: PSNR (colourfulness) per hint count, their mean, the far leak, and which
    candidate the rule chose (marked **chosen**; rows that break the rule are marked with the reason)."""
    ns = list(next(iter(t["settings"].values())))
    rule = t.get("rule", {})
    chosen = t.get("chosen", {})
    head = "| setting | " + " | ".join(f"{n} hints" for n in ns) + " | mean | far leak |"
    lines = [head, "|---" * (len(ns) + 3) + "|"]
    for k, v in t["settings"].items():
        kv = dict(x.split("=") for x in k.split(",")) if "=" in k else {}
        name = (
            ", ".join(f"{a} {b}" for a, b in kv.items() if a != "anneal_mix_hinted" and a != "null_bias") or k
        )
        leak = t.get("far_leak", {}).get(k)
        mark = ""
        if kv and all(float(kv[a]) == float(chosen.get(a, "nan")) for a in kv):
            mark = " **chosen**"
        elif leak is not None and leak >= rule.get("max_far_leak", float("inf")):
            mark = " (leaks)"
        elif kv and v[ns[0]][1] < rule.get("min_colourfulness_0_hints", 0):
            mark = " (grey)"
        mean = sum(v[n][0] for n in ns) / len(ns)
        cells = " | ".join(f"{v[n][0]:.2f} dB (cf {v[n][1]:.2f})" for n in ns)
        leak_s = "" if leak is None else f"{leak:.2f}"
        lines.append(f"| {name}{mark} | {cells} | {mean:.3f} | {leak_s} |")
    if rule:
        lines.append(
            f"\n{t.get('photos', '?')} held-out training photos. Eligible: far leak < {rule['max_far_leak']} Lab units "
            f"and 0-hint colourfulness ≥ {rule['min_colourfulness_0_hints']}; chosen: the best mean among them."
        )
    return "\n".join(lines) + "\n"


def dcm_table(d: dict) -> str:
    lines = [
        f"{d['eval_photos']} eval/ photos upscaled to ~12 MP, automatic, working side {d['work_side']} "
        "(256-px tiles), one thread:\n",
        "| DCM threshold | easy tiles | CPU s / photo | time saved | PSNR | PSNR lost |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in d["curve"].items():
        name = "off" if k == "None" else k
        lines.append(
            f"| {name} | {v['easy_share']:.0%} | {v['cpu_s']:.2f} | {v['time_saved']:+.0%} | {v['psnr']:.2f} | "
            f"{v['psnr_loss_db']:+.3f} dB |"
        )
    lines.append("\nEasy tiles on historical/ scans (native size): " + ", ".join(
        f"threshold {k}: {v['easy_share']:.0%} of {v['tiles']}" for k, v in d["historical"].items()))  # fmt: skip
    return "\n".join(lines) + "\n"


def curve_table(meta: dict, every: int = 3) -> str:
    c = meta["curve"]
    keep = c[::every] + ([c[-1]] if (len(c) - 1) % every else [])
    lines = [
        "Validation on the 48 held-out training photos (centre 128-px crops, uniform 3x3 hints), RGB PSNR in dB:\n",
        "| minutes | step | crops seen | val loss | 0 hints | 1 | 5 | 20 | gray |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v in keep:
        lines.append(
            f"| {v['t'] / 60:.0f} | {v['step']} | {v['images']:,} | {v['val_loss']:.3f} | {v['psnr0']:.2f} | "
            f"{v['psnr1']:.2f} | {v['psnr5']:.2f} | {v['psnr20']:.2f} | {v['psnr_gray']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def targets_table(ev: dict, b: dict | None, ckpt_mb: float) -> str:
    """The issue's targets, measured: one row per target and set (pooled first)."""

    def v(block, m, n, k="psnr"):
        return block[m][str(n)][k]

    lines = [
        "| target | " + " | ".join(["pooled"] + list(ev["sets"])) + " |",
        "|---" * (len(ev["sets"]) + 2) + "|",
    ]
    blocks = [ev["pooled"]] + list(ev["sets"].values())

    def row(name, f):
        cells = []
        for bl in blocks:
            text, ok = f(bl)
            cells.append(f"{text} {'✓' if ok else '✗'}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    for n in (5, 20):
        row(
            f"{n} hints: PSNR ≥ Levin + 2.0 dB",
            lambda bl, n=n: (
                f"{v(bl, 'model', n) - v(bl, 'levin', n):+.2f} dB",
                v(bl, "model", n) - v(bl, "levin", n) >= 2.0,
            ),
        )
    row(
        "0 hints: PSNR ≥ gray + 1.5 dB",
        lambda bl: (
            f"{v(bl, 'model', 0) - v(bl, 'gray', 0):+.2f} dB",
            v(bl, "model", 0) - v(bl, "gray", 0) >= 1.5,
        ),
    )
    row(
        "0 hints: ΔE00 below gray's",
        lambda bl: (
            f"{v(bl, 'model', 0, 'ciede2000'):.2f} vs {v(bl, 'gray', 0, 'ciede2000'):.2f}",
            v(bl, "model", 0, "ciede2000") < v(bl, "gray", 0, "ciede2000"),
        ),
    )
    row(
        "0 hints: colourfulness ≥ 0.7 × GT",
        lambda bl: (
            f"{v(bl, 'model', 0, 'colorfulness_ratio'):.2f}",
            v(bl, "model", 0, "colorfulness_ratio") >= 0.7,
        ),
    )
    row(
        "1 hint: PSNR above own 0-hint and Levin-1",
        lambda bl: (
            f"{v(bl, 'model', 1):.2f} vs {v(bl, 'model', 0):.2f} / {v(bl, 'levin', 1):.2f}",
            v(bl, "model", 1) > max(v(bl, "model", 0), v(bl, "levin", 1)),
        ),
    )
    row("verified hints ≤ 1 Lab unit", lambda bl: (
        f"max {max(bl['model'][n]['max_hint_error'] for n in bl['model']):.1e}",
        max(bl["model"][n]["max_hint_error"] for n in bl["model"]) <= 1.0))  # fmt: skip
    if b:
        pv = b["preview_256_10hints_ms"]
        lines.append("\n| speed target | measured | met |\n|---|---|---|")
        lines.append(f"| preview ≤ 100 ms median (256 px, 10 hints, 1 thread) | {pv['median']} ms wall, "
                     f"{pv['cpu_median']} ms CPU | {'✓' if pv['median'] <= 100 else '✗'} |")  # fmt: skip
        if "render_12mp" in b:
            r = b["render_12mp"]
            ok = r["seconds"] <= 6 and r["peak_rss_mb"] <= 3072
            lines.append(f"| 12 MP scan ≤ 6 s, peak RSS ≤ 3 GB | {r['seconds']} s wall ({r['cpu_seconds']} s CPU), "
                         f"{r['peak_rss_mb']} MB | {'✓' if ok else '✗'} |")  # fmt: skip
    lines.append(f"| checkpoint ≤ 50 MB | {ckpt_mb:.1f} MB | {'✓' if ckpt_mb <= 50 else '✗'} |")
    return "\n".join(lines) + "\n"


def put(doc: str, name: str, text: str) -> str:
    pat = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pat.search(doc):
        raise SystemExit(f"error: marker {name} not found in the doc")
    return pat.sub(lambda m: m.group(1) + text + m.group(2), doc)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--eval256")
    p.add_argument("--evalfull")
    p.add_argument("--bench")
    p.add_argument("--tune")
    p.add_argument("--dcm")
    p.add_argument("--targets", action="store_true", help="the targets table (needs --eval256, --bench)")
    p.add_argument("--curve", help="the exported checkpoint's JSON (ml/weights/findcolor.json)")
    p.add_argument("--doc", default="docs/model.md")
    a = p.parse_args()
    doc = Path(a.doc).read_text()
    if a.eval256:
        r = json.loads(Path(a.eval256).read_text())
        doc = put(doc, "eval256", eval_table(r))
        if "profiles" in r and "profiles:start" in doc:
            doc = put(doc, "profiles", profiles_table(r["profiles"]))
    if a.evalfull:
        doc = put(doc, "evalfull", eval_table(json.loads(Path(a.evalfull).read_text())))
    if a.bench:
        doc = put(doc, "bench", bench_table(json.loads(Path(a.bench).read_text())))
    if a.tune:
        doc = put(doc, "tune", tune_table(json.loads(Path(a.tune).read_text())))
    if a.targets:
        ck = Path(__file__).resolve().parent.parent / "ml" / "weights" / "findcolor.pt"
        doc = put(doc, "targets", targets_table(json.loads(Path(a.eval256).read_text()),
                                                json.loads(Path(a.bench).read_text()) if a.bench else None,
                                                ck.stat().st_size / 2**20))  # fmt: skip
    if a.curve:
        doc = put(doc, "curve", curve_table(json.loads(Path(a.curve).read_text())))
    if a.dcm:
        doc = put(doc, "dcm", dcm_table(json.loads(Path(a.dcm).read_text())))
    Path(a.doc).write_text(doc)


if __name__ == "__main__":
    main()
