"""Contact sheet of the repair model on real archival scans (no ground truth): input / mask / repaired / colorized.

    OMP_NUM_THREADS=1 python bench/repair_contact_sheet.py [--out docs/repair_contact_sheet.jpg] [--checkpoint CKPT]

Rows: the 4 photos of historical/scratched_portraits, then five others (a Korean War portrait, a grainy portrait,
a street scene, an 1880s print, the 1927 Solvay group). Columns: the input; the detected mask (red over the input);
the automatic repair (detect + repair, the shipped threshold); the repair colorized by the shipped colorizer
without hints. Photos are processed at their own size and shown at a fixed height.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml import Colorizer  # noqa: E402
from ml.repair import Repairer  # noqa: E402

OTHERS = [
    "korean_war/korean_war_05.png",
    "portraits_grain/Old_Tom_Morris.png",
    "streets_people_1900_1946/Detroit circa 1915.png",
    "loc_1880s/Abdul_1003.png",
    "group_1927/Solvay_conference_1927.png",
]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(ROOT.parent / "shared" / "datasets" / "historical"))
    p.add_argument("--out", default=str(ROOT / "docs" / "repair_contact_sheet.jpg"))
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--height", type=int, default=220)
    a = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    r = Repairer.load(a.checkpoint)
    c = Colorizer.load()
    root = Path(a.root)
    files = sorted((root / "scratched_portraits").glob("*.png")) + [root / f for f in OTHERS]
    rows = []
    for f in files:
        with Image.open(f) as im:
            gray = np.asarray(im.convert("L"))
        fixed, mask, _ = r.auto(gray)
        color = c.colorize(fixed, max_side=512).rgb
        overlay = np.repeat(gray[..., None], 3, 2).copy()
        overlay[mask] = (0.35 * overlay[mask] + 0.65 * np.array([255, 0, 0])).astype(np.uint8)
        h, w = gray.shape
        tw = int(round(w * a.height / h))
        cols = [np.repeat(gray[..., None], 3, 2), overlay, np.repeat(fixed[..., None], 3, 2), color]
        ims = [Image.fromarray(x).resize((tw, a.height), Image.LANCZOS) for x in cols]
        row = Image.new("RGB", (4 * tw + 12, a.height + 14), "white")
        for i, im in enumerate(ims):
            row.paste(im, (i * (tw + 4), 14))
        ImageDraw.Draw(row).text(
            (2, 1), f"{f.parent.name}/{f.name}: {100 * mask.mean():.2f} % repaired", fill=(0, 0, 0)
        )
        rows.append(row)
        print(f"{f.name}: {100 * mask.mean():.2f} % of pixels repaired", flush=True)
    W = max(rw.width for rw in rows)
    head = 18
    sheet = Image.new("RGB", (W, head + sum(rw.height + 6 for rw in rows)), "white")
    ImageDraw.Draw(sheet).text(
        (2, 3), "input | detected mask (red) | repaired | repaired, then colorized (no hints)", fill=(0, 0, 0)
    )
    y = head
    for rw in rows:
        sheet.paste(rw, (0, y))
        y += rw.height + 6
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    q = 80
    while True:
        sheet.save(a.out, quality=q, optimize=True)
        if Path(a.out).stat().st_size < 1.4e6 or q <= 40:
            break
        q -= 10
    print(f"{a.out}: {sheet.size}, {Path(a.out).stat().st_size / 1e3:.0f} kB (JPEG q{q})")


if __name__ == "__main__":
    main()
