"""Choose the shipped inference settings on held-out training photos (never eval/): the candidate with the best
mean PSNR over 0, 1, 5 and 20 hints among those that keep a hint local (`far_leak`) and whose automatic colour
is not a grey wash (0-hint colourfulness at least `MIN_COLOURFULNESS` of the ground truth's). Writes the
settings JSON for `ml.export --inference` and the table.

    python bench/ml_choose.py --checkpoint runs/v2/ckpt.pt --data runs/val --limit 48 --out runs/inference.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.checkpoint import load_checkpoint  # noqa: E402
from ml.colorizer import Colorizer  # noqa: E402
from ml.evaluate import evaluate  # noqa: E402
from ml.inference import INFERENCE_DEFAULTS  # noqa: E402

# How far a hint reaches (hint_reach, reach_edge): none; a straight line; along the photo (ml/reach.py).
# The last three keep hints local for a network whose attention reaches further (the rejected 2.3.0 candidate,
# docs/model.md).
REACH = [
    (0.0, 0.0),
    (8.0, 0.0),
    (0.5, 3.0),
    (1.0, 2.0),
    (1.0, 3.0),
    (2.0, 2.0),
    (2.0, 3.0),
    (3.0, 2.0),
    (16.0, 0.0),
]
# How far the output moves toward the annealed mean where no hint attends (colourfulness). The same mix with
# and without hints, so that placing a hint never turns the rest of the photo greyer.
MIXES = [0.0, 0.1, 0.15, 0.2]
CANDIDATES = [
    {"anneal_mix": m, "anneal_mix_hinted": m, "null_bias": 0.0, "hint_reach": r, "reach_edge": e}
    for (r, e), m in itertools.product(REACH, MIXES)
]
MAX_LEAK = 4.0  # Lab units: the bound of ml/tests/test_propagation.py's far-away check
MIN_COLOURFULNESS = 0.7  # the model issue's bar for automatic colour (mean chroma over the ground truth's)


def far_leak(colorizer) -> float:
    """How much one red hint on the dark left half moves a dark square far away in the bright right half (mean
    Lab distance): the constraint "a hint colours its object, never the whole photo"; settings above MAX_LEAK
    are not eligible whatever their PSNR."""
    from ml.hints import Hint
    from ml.tests.conftest import two_regions_far_square

    g = two_regions_far_square()
    base = colorizer.colorize(g).ab
    moved = colorizer.colorize(g, hints=[Hint(0.2, 0.5, "#b02020")]).ab
    return float(np.linalg.norm(moved - base, axis=2)[62:78, 102:118].mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", default="runs/val")
    p.add_argument("--limit", type=int, default=48)
    p.add_argument("--out", default="runs/inference.json")
    p.add_argument("--json", default="docs/model_tune.json")
    a = p.parse_args()
    torch.set_num_threads(1)
    ck, digest = load_checkpoint(a.checkpoint, require_sidecar=False)
    hints = [0, 1, 5, 20]
    table, best = {"settings": {}}, None
    base = evaluate([a.data], hints, ["gray"], size=256, limit=a.limit, log=lambda *_: None)
    table["settings"]["gray"] = {
        str(n): (v["psnr"], v["colorfulness_ratio"]) for n, v in base["pooled"]["gray"].items()
    }
    for cand in CANDIDATES:
        c = Colorizer(ck, digest, **cand)
        rep = evaluate([a.data], hints, ["model"], size=256, limit=a.limit, colorizer=c, log=lambda *_: None)
        r = {n: (v["psnr"], v["colorfulness_ratio"]) for n, v in rep["pooled"]["model"].items()}
        name = ",".join(f"{k}={v}" for k, v in cand.items())
        table["settings"][name] = r
        score = float(np.mean([v[0] for v in r.values()]))
        leak = far_leak(c)
        table.setdefault("far_leak", {})[name] = leak
        colourful = r["0"][1]  # automatic (0 hints)
        print(
            name,
            {n: f"{v[0]:.2f} dB cf {v[1]:.2f}" for n, v in r.items()},
            f"mean {score:.3f} far leak {leak:.2f}",
            flush=True,
        )
        if leak < MAX_LEAK and colourful >= MIN_COLOURFULNESS and (best is None or score > best[0]):
            best = (score, cand)
    if best is None:
        raise SystemExit("error: no candidate keeps a hint local and gives colourful automatic colour")
    chosen = dict(INFERENCE_DEFAULTS, **best[1])
    table["chosen"] = chosen
    table["photos"] = a.limit
    table["rule"] = {"max_far_leak": MAX_LEAK, "min_colourfulness_0_hints": MIN_COLOURFULNESS}
    Path(a.out).write_text(json.dumps(chosen) + "\n")
    Path(a.json).write_text(json.dumps(table, indent=2) + "\n")
    print("chosen", chosen)


if __name__ == "__main__":
    main()
