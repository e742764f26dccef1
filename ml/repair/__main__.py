"""Find and repair scratches, dust and stains on a scanned photo.

    python -m ml.repair IN OUT [--mask-out MASK.png] [--mask-in MASK.png] [--threshold T] [--checkpoint PATH]

Without --mask-in the damage is detected (ml/weights/repair.pt) and its mask is repaired; --mask-out writes the mask
that was repaired. With --mask-in exactly that mask is repaired (no detection). Masks are 8-bit grayscale PNGs of
the photo's size, 255 = damaged (any value >= 128 counts as damaged). IN may be 8- or 16-bit gray or RGB; OUT keeps
its bit depth (16-bit needs .png or .tif). Only masked pixels differ between IN and OUT.
Bad input ends with exit code 2 and one line `error: ...` on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..colorize import InputError, read_image

SIXTEEN_BIT_EXTS = {".png", ".tif", ".tiff"}
EXTS = SIXTEEN_BIT_EXTS | {".jpg", ".jpeg", ".bmp", ".webp"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage on several lines)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def read_mask(path: str, H: int, W: int) -> np.ndarray:
    """An 8-bit mask PNG of size W x H -> (H,W) bool (>= 128 damaged). Raises InputError."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("L", "1"):
                raise InputError(f"mask {path} must be an 8-bit grayscale image (got mode {im.mode})")
            m = np.asarray(im.convert("L"))
    except FileNotFoundError as e:
        raise InputError(f"cannot read mask {path}: file not found") from e
    except (UnidentifiedImageError, OSError, ValueError) as e:
        if isinstance(e, InputError):
            raise
        raise InputError(f"cannot read mask {path}: not a readable image ({e.__class__.__name__})") from e
    if m.shape != (H, W):
        raise InputError(f"mask {path} is {m.shape[1]}x{m.shape[0]}, the photo is {W}x{H}")
    return m >= 128


def check_output(path: str, dtype) -> None:
    ext = Path(path).suffix.lower()
    if ext not in EXTS:
        raise InputError(f"cannot write {path}: use one of {', '.join(sorted(EXTS))}")
    if dtype == np.uint16 and ext not in SIXTEEN_BIT_EXTS:
        raise InputError(f"cannot write a 16-bit photo to {path}: use .png or .tif")


def main(argv=None) -> int:
    p = _Parser(
        prog="python -m ml.repair", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument(
        "--mask-out", default=None, help="write the repaired mask as an 8-bit PNG (255 = repaired)"
    )
    p.add_argument("--mask-in", default=None, help="repair exactly this mask (8-bit PNG, 255 = damaged)")
    p.add_argument("--threshold", type=float, default=None, help="detection threshold (default: the model's)")
    p.add_argument("--checkpoint", default=None)
    a = p.parse_args(argv)
    try:
        img = read_image(a.input)
        H, W = img.shape[:2]
        check_output(a.output, img.dtype)
        if a.mask_out:
            check_output(a.mask_out, np.uint8)
        if a.threshold is not None and not 0 < a.threshold < 1:
            raise InputError("--threshold must lie strictly between 0 and 1")
        mask = read_mask(a.mask_in, H, W) if a.mask_in else None
        from ..checkpoint import CheckpointError
        from .core import Repairer

        try:
            r = Repairer.load(a.checkpoint)
        except CheckpointError as e:
            raise InputError(str(e)) from e
        try:
            if mask is None:
                mask = r.mask_from_prob(r.detect(img), a.threshold)
            out = r.repair(img, mask)
        except ValueError as e:
            raise InputError(str(e)) from e
        try:
            Image.fromarray(out).save(a.output)
            if a.mask_out:
                Image.fromarray(mask.astype(np.uint8) * 255).save(a.mask_out)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot write output: {e}") from e
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    share = float(mask.mean()) if mask.size else 0.0
    print(
        f"wrote {a.output} ({W}x{H}, model {r.model_name} {r.model_version}, {100 * share:.2f} % of pixels repaired)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
