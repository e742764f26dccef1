"""Colorize one photo from the command line.

    python -m ml.colorize IN OUT [--hint X,Y,#RRGGBB]... [--reference REF] [--era NAME] [--situation NAME]
                          [--uncertainty UNC.png] [--checkpoint PATH] [--max-side N]

X, Y are pixel coordinates (column, row) in IN. A hint sets the chroma (a, b) of its sRGB colour at that point;
lightness always comes from the photo. Bad input ends with exit code 2 and a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from PIL import Image, UnidentifiedImageError

from .colorspace import hex_to_rgb


class InputError(ValueError):
    """Bad command-line input (reported as one line, exit code 2)."""


def read_image(path: str) -> np.ndarray:
    """Read a photo for colorization: (H,W) uint8/uint16 for gray files, (H,W,3) uint8 for colour ones."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im).astype(np.int64)
                return np.clip(arr, 0, 65535).astype(np.uint16)
            if im.mode in ("L", "1", "LA"):
                return np.asarray(im.convert("L"))
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError as e:
        raise InputError(f"cannot read {path}: file not found") from e
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise InputError(f"cannot read {path}: not a readable image ({e.__class__.__name__})") from e


def parse_hint(text: str, W: int, H: int):
    """'X,Y,#RRGGBB' (pixel coordinates) -> an ml.Hint. Raises InputError."""
    from .hints import Hint

    parts = text.split(",")
    if len(parts) != 3:
        raise InputError(f"bad hint {text!r}: expected X,Y,#RRGGBB")
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError as e:
        raise InputError(f"bad hint {text!r}: X and Y must be numbers") from e
    try:
        hex_to_rgb(parts[2])
    except ValueError as e:
        raise InputError(f"bad hint {text!r}: colour must be #RRGGBB") from e
    if not (0 <= x < W and 0 <= y < H):
        raise InputError(f"hint {text!r} is out of bounds for a {W}x{H} image")
    return Hint(x=(x + 0.5) / W, y=(y + 0.5) / H, color="#" + parts[2].strip().lstrip("#"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m ml.colorize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--hint", action="append", default=[], help="X,Y,#RRGGBB (pixels)")
    p.add_argument("--reference", default=None)
    p.add_argument("--adaptation", default=None, help="a collection's adaptation file (python -m ml.adapt)")
    p.add_argument("--uncertainty", default=None, help="write the uncertainty map as an 8-bit PNG")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--max-side", type=int, default=None)
    a = p.parse_args(argv)
    try:
        img = read_image(a.input)
        H, W = img.shape[:2]
        hints = [parse_hint(h, W, H) for h in a.hint]
        ref = None
        if a.reference:
            ref = read_image(a.reference)
            if ref.ndim != 3:
                raise InputError(f"reference {a.reference} must be a colour image")
        from .adapt import Adaptation
        from .checkpoint import CheckpointError
        from .colorizer import Colorizer

        try:
            c = Colorizer.load(a.checkpoint)
        except CheckpointError as e:
            raise InputError(str(e)) from e
        adaptation = None
        if a.adaptation:
            try:
                adaptation = Adaptation.load(a.adaptation)
            except ValueError as e:  # AdaptationError: unreadable, malformed or tampered
                raise InputError(str(e)) from e
            if not adaptation.applies_to(c):
                why = (
                    "its gate did not pass" if not adaptation.usable else "it was checked with another model"
                )
                print(f"note: adaptation {a.adaptation} is not used: {why}", file=sys.stderr)
        res = c.colorize(img, hints=hints, reference=ref, adaptation=adaptation, max_side=a.max_side)
        try:
            Image.fromarray(res.rgb).save(a.output)
            if a.uncertainty:
                Image.fromarray(np.round(res.uncertainty * 255).astype(np.uint8)).save(a.uncertainty)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot write output: {e}") from e
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    errs = ", ".join(f"{e:.2f}" for e in res.hint_errors)
    print(
        f"wrote {a.output} ({W}x{H}, model {res.model_version}, {res.timings['total_s']:.2f}s"
        + (f", hint errors [{errs}]" if errs else "")
        + ")"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
