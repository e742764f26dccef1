"""Contact sheet of the model on real archival photos (no ground truth): input, automatic, 3 curator hints.

    python bench/ml_contact_sheet.py --out docs/model_contact_sheet.jpg [--checkpoint CKPT]

The 19 photos of historical/streets_people_1900_1946 and historical/korean_war. The 3 hints per photo were placed
once by looking at the grayscale photos (skin, sky, foliage, uniforms, brick: colours a curator would pick), before
seeing any model output; they are marked as small rings on the hinted result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml import Colorizer, Hint  # noqa: E402

SKIN, SKIN_DARK, SKY, FOLIAGE, OLIVE, KHAKI = "#c89478", "#7a5038", "#9ab4d8", "#4e6e38", "#4e5232", "#a89a70"
HINTS = {  # file stem prefix -> [(x, y, colour)], x/y normalized
    "Abandoned Boy": [(0.5, 0.13, "#d0a088"), (0.3, 0.35, "#8a6a4a"), (0.6, 0.55, "#6a3a30")],
    "Acrobats": [(0.45, 0.47, SKIN), (0.8, 0.3, "#8a8270"), (0.4, 0.15, SKIN)],
    "Ansel Adams": [(0.6, 0.05, SKY), (0.3, 0.3, FOLIAGE), (0.5, 0.8, "#5a7890")],
    "Audrey Hepburn": [(0.35, 0.55, "#d8a890"), (0.45, 0.42, "#b05050"), (0.5, 0.9, "#4a3428")],
    "Broadway": [(0.6, 0.1, "#6a8a4a"), (0.8, 0.8, "#b0a080"), (0.05, 0.4, "#8a5a40")],
    "Buffalo Bank": [(0.25, 0.5, "#9a5a40"), (0.7, 0.1, SKY), (0.5, 0.9, "#a09480")],
    "Detroit": [(0.35, 0.05, SKY), (0.1, 0.4, "#9a6a50"), (0.5, 0.9, "#9a9080")],
    "Einstein": [(0.5, 0.45, "#d0a088"), (0.5, 0.85, "#6a5a4a"), (0.1, 0.5, "#3a3a40")],
    "February 1936": [(0.45, 0.35, "#c09070"), (0.5, 0.75, "#8a90a0"), (0.15, 0.2, "#a09878")],
    "Helen Keller": [(0.3, 0.9, "#5a7a3a"), (0.1, 0.3, FOLIAGE), (0.4, 0.6, "#3a3a40")],
    "Louis Armstrong": [(0.62, 0.47, SKIN_DARK), (0.3, 0.65, "#b8903a"), (0.6, 0.2, "#6a7a6a")],
    "New York Riverfront": [(0.5, 0.1, SKY), (0.5, 0.75, "#5a7080"), (0.7, 0.4, "#b09a80")],
    "colorized-historical": [(0.45, 0.2, SKIN), (0.3, 0.6, "#6a5a3a"), (0.9, 0.9, "#e0e8f0")],
    "korean_war_01": [(0.45, 0.4, "#c8a080"), (0.5, 0.8, "#7a7050"), (0.1, 0.1, "#c0c8d0")],
    "korean_war_02": [(0.55, 0.45, SKIN), (0.45, 0.2, OLIVE), (0.1, 0.3, "#8aa0b8")],
    "korean_war_03": [(0.4, 0.3, SKIN), (0.4, 0.75, KHAKI), (0.4, 0.08, "#6a6040")],
    "korean_war_04": [(0.45, 0.45, SKIN), (0.45, 0.15, OLIVE), (0.9, 0.4, "#a0b0c8")],
    "korean_war_05": [(0.5, 0.25, "#c8a080"), (0.5, 0.7, "#5a5a3a"), (0.9, 0.3, "#9aa8b8")],
    "korean_war_06": [(0.45, 0.35, SKIN), (0.5, 0.75, KHAKI), (0.1, 0.15, "#8aa0b8")],
}


def hints_for(name: str) -> list[Hint]:
    for k, v in HINTS.items():
        if name.startswith(k):
            return [Hint(x, y, c, radius=0.015) for x, y, c in v]
    raise KeyError(name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="../shared/datasets/historical")
    p.add_argument("--out", default="docs/model_contact_sheet.jpg")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--height", type=int, default=150)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    c = Colorizer.load(a.checkpoint)
    root = Path(a.root)
    files = sorted((root / "streets_people_1900_1946").glob("*.png")) + sorted(
        (root / "korean_war").glob("*.png")
    )
    rows, chroma = [], []
    for f in files:
        with Image.open(f) as im:
            gray = np.asarray(im.convert("L"))
        hints = hints_for(f.stem)
        auto = c.colorize(gray, max_side=512)
        hinted = c.colorize(gray, hints=hints, max_side=512)
        chroma.append(float(np.linalg.norm(auto.ab, axis=2).mean()))
        h, w = auto.rgb.shape[:2]
        tw = int(round(w * a.height / h))
        ims = [Image.fromarray(x).resize((tw, a.height), Image.LANCZOS) for x in
               (np.repeat(np.asarray(Image.fromarray(gray).resize((w, h)))[..., None], 3, 2), auto.rgb, hinted.rgb)]  # fmt: skip
        d = ImageDraw.Draw(ims[2])
        for hi in hints:
            x, y = hi.x * tw, hi.y * a.height
            d.ellipse([x - 4, y - 4, x + 4, y + 4], outline=(255, 255, 255))
            d.ellipse([x - 5, y - 5, x + 5, y + 5], outline=(0, 0, 0))
        row = Image.new("RGB", (3 * tw + 8, a.height), "white")
        for i, im in enumerate(ims):
            row.paste(im, (i * (tw + 4), 0))
        rows.append(row)
    # two photos per sheet row
    pairs = [rows[i : i + 2] for i in range(0, len(rows), 2)]
    W = max(sum(r.width for r in pr) + 16 * (len(pr) - 1) for pr in pairs)
    sheet = Image.new("RGB", (W, len(pairs) * (a.height + 6)), "white")
    for j, pr in enumerate(pairs):
        x = 0
        for r in pr:
            sheet.paste(r, (x, j * (a.height + 6)))
            x += r.width + 16
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out, quality=78, optimize=True)
    print(f"{a.out}: {sheet.size}, {Path(a.out).stat().st_size / 1e3:.0f} kB; mean automatic chroma "
          f"{np.mean(chroma):.1f} (per photo {', '.join(f'{x:.1f}' for x in chroma)})")  # fmt: skip


if __name__ == "__main__":
    main()
