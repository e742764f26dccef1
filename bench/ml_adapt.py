"""Context adaptation (issue 24): does a collection's own colour references make its other photos better?

    OMP_NUM_THREADS=1 python bench/ml_adapt.py [--checkpoint CKPT] [--out docs/model_adapt.json] [--test 40]

Sets: the 'bench' photos (`ml.groups.photo_role`, a fixed tenth held out of adaptation training) of each training
folder with enough of them, and eval/cbsd68 (measured only: nothing is chosen on it). Each set is split, in a
fixed order (SHA-1 of the name), into 40 reference photos and the rest (at most --test). The adaptation is built
from the 40 references by `ml.adapt.build_adaptation` (its own gate leaves 8 of them out), then the rest are
coloured at 256 px, 0 and 5 hints (`ml.evaluate`'s protocol and hint sampling), without and with it:

* `forced`: the adaptation's chosen variant always applied, whatever its gate said;
* `gated`: applied only when its gate passed (what the platform does).

Targets: pooled gated gain at 0 hints >= +0.5 dB; no set below -0.1 dB at 0 or 5 hints; building from 40 photos
<= 5 min on one thread; applying it adds <= 20 ms to a 256-px preview.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.adapt import Adaptation, build_adaptation  # noqa: E402
from ml.colorizer import Colorizer  # noqa: E402
from ml.colorspace import rgb_to_lab  # noqa: E402
from ml.data import list_images  # noqa: E402
from ml.evaluate import load_eval_image, render, run_method, sample_eval_hints  # noqa: E402
from ml.groups import folder_of, photo_role, short_name  # noqa: E402
from ml.metrics import psnr  # noqa: E402

N_REFS = 40
SIZE = 256


def _sha1_order(files: list[Path]) -> list[Path]:
    return sorted(files, key=lambda f: hashlib.sha1(short_name(str(f)).encode()).hexdigest())


def sets_of(train: Path, extra: list[Path], min_test: int, test_pool: str = "bench") -> dict[str, list[Path]]:
    """{set: photos in order}: the first N_REFS are the references, the rest the test photos.

    test_pool 'bench': a training folder's test photos are its other 'bench' photos (few: 7 for streets).
    'folder': after those come the folder's other photos. Valid only for a model trained without group
    profiles (`ml.train --p-profile 0`, e.g. 2.1.2), which never saw a profile built from them; the
    colorizer itself was trained on them, as on the 'bench' photos."""
    bench: dict[str, list[Path]] = {}
    rest: dict[str, list[Path]] = {}
    for f in list_images(train):
        (bench if photo_role(str(f)) == "bench" else rest).setdefault(folder_of(str(f)), []).append(f)
    for d in extra:
        bench[d.name] = list_images(d)
    out = {}
    for name, files in sorted(bench.items()):
        order = _sha1_order(files)
        if test_pool == "folder":
            order += _sha1_order(rest.get(name, []))
        if len(order) >= N_REFS + min_test:
            out[name] = order
    return out


def score(colorizer, rgb: np.ndarray, n: int, key: str, adaptation) -> float:
    lab = rgb_to_lab(rgb)
    L, ab_gt = lab[..., 0], lab[..., 1:]
    hints_px = sample_eval_hints(ab_gt, n, seed=zlib.crc32(f"0/{key}/{n}".encode()))
    ab, _ = run_method("model", L, hints_px, colorizer, adaptation=adaptation)
    return psnr(rgb, render(L, ab))


def forced(ad: Adaptation) -> Adaptation:
    """The same adaptation with its gate overridden to 'passed': what its variant does when always applied."""
    body = json.loads(json.dumps(ad.body))
    body["gate"]["passed"] = True
    return Adaptation.from_body(body)


def apply_cost_ms(colorizer, rgb: np.ndarray, adaptation, reps: int = 9) -> float:
    """Extra time of a 256-px colorize with the adaptation over one without (median of interleaved reps)."""
    from ml.evaluate import l_to_gray

    gray = l_to_gray(rgb_to_lab(rgb)[..., 0])
    d = []
    for _ in range(reps):
        t = time.perf_counter()
        colorizer.colorize(gray, max_side=SIZE)
        t1 = time.perf_counter()
        colorizer.colorize(gray, max_side=SIZE, adaptation=adaptation)
        d.append((time.perf_counter() - t1) - (t1 - t))
    return float(np.median(d) * 1000)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--train", default="../shared/datasets/train")
    p.add_argument("--extra", nargs="*", default=["../shared/datasets/eval/cbsd68"])
    p.add_argument("--test", type=int, default=40, help="at most this many test photos per set")
    p.add_argument("--min-test", type=int, default=7)
    p.add_argument(
        "--test-pool",
        choices=["bench", "folder"],
        default="bench",
        help="where a training folder's test photos come from (see sets_of; 'folder' only for a model "
        "trained without group profiles)",
    )
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    c = Colorizer.load(a.checkpoint)
    sets = sets_of(Path(a.train), [Path(e) for e in a.extra], a.min_test, a.test_pool)
    report = {
        "test_pool": a.test_pool,
        "model_version": c.model_version,
        "model_sha256": c.checksum,
        "sets": {},
    }
    pooled = {k: [] for k in ("0_without", "0_forced", "0_gated", "5_without", "5_forced", "5_gated")}
    for name, files in sets.items():
        refs = [load_eval_image(f, SIZE) for f in files[:N_REFS]]
        tests = files[N_REFS : N_REFS + a.test]
        t = time.perf_counter()
        ad = build_adaptation(refs, c, name=name)
        build_s = time.perf_counter() - t
        gate = ad.gate
        always = forced(ad)
        row = {"references": len(refs), "test_photos": len(tests), "build_s": round(build_s, 1), "gate": gate}
        for n in (0, 5):
            wo, fo = [], []
            for f in tests:
                rgb = load_eval_image(f, SIZE)
                key = f"{name}/{f.name}"
                wo.append(score(c, rgb, n, key, None))
                fo.append(score(c, rgb, n, key, always))
            ga = fo if gate["passed"] else wo
            row[f"{n}_hints"] = {
                "without": round(float(np.mean(wo)), 3),
                "forced": round(float(np.mean(fo)), 3),
                "gated": round(float(np.mean(ga)), 3),
                "forced_gain": round(float(np.mean(fo) - np.mean(wo)), 3),
                "gated_gain": round(float(np.mean(ga) - np.mean(wo)), 3),
            }
            pooled[f"{n}_without"] += wo
            pooled[f"{n}_forced"] += fo
            pooled[f"{n}_gated"] += ga
        row["apply_ms"] = round(apply_cost_ms(c, load_eval_image(tests[0], SIZE), always), 1)
        report["sets"][name] = row
        print(name, json.dumps(row), flush=True)
    report["pooled"] = {
        f"{n}_hints": {
            "without": round(float(np.mean(pooled[f"{n}_without"])), 3),
            "forced_gain": round(float(np.mean(pooled[f"{n}_forced"]) - np.mean(pooled[f"{n}_without"])), 3),
            "gated_gain": round(float(np.mean(pooled[f"{n}_gated"]) - np.mean(pooled[f"{n}_without"])), 3),
            "photos": len(pooled[f"{n}_without"]),
        }
        for n in (0, 5)
    }
    print("pooled", json.dumps(report["pooled"]))
    if a.out:
        Path(a.out).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
