"""A compact training-photo cache: every photo decoded once, centre-cropped square, re-encoded as JPEG.

    python -m ml.photocache --data /path/to/train --out runs/cache/train160.npz [--side 160] [--quality 85]

The file holds the JPEG bytes of all photos (one uint8 array + offsets) and their paths; at 160 px and q85 the
3,900 training photos take about 25 MB, small enough to copy to a GPU machine. `load_cache()` decodes it once into
one uint8 tensor (N,3,side,side) (about 300 MB at 160 px) that training indexes directly: crops, flips and scales
are then a single batched `grid_sample` (`ml.train.sample_crops`), on the CPU or on the GPU.
"""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .data import list_images


def square_thumb(path, side: int) -> Image.Image:
    """The photo's centre square, resized to side x side (RGB)."""
    with Image.open(path) as im:
        im.draft("RGB", (side * 2, side * 2))
        im = im.convert("RGB")
        w, h = im.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        return im.crop((left, top, left + s, top + s)).resize((side, side), Image.BICUBIC)


def build_cache(files, out: str | os.PathLike, side: int = 160, quality: int = 85, log=print) -> dict:
    """Write the cache file. Returns {"n", "bytes", "path"}."""
    chunks, offsets, names = [], [0], []
    for i, f in enumerate(files):
        try:
            im = square_thumb(f, side)
        except OSError as e:
            log(f"skip {f}: {e}")
            continue
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=quality)
        b = np.frombuffer(buf.getvalue(), dtype=np.uint8)
        chunks.append(b)
        offsets.append(offsets[-1] + len(b))
        names.append(str(f))
        if (i + 1) % 500 == 0:
            log(f"{i + 1}/{len(files)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez(
        tmp,
        data=np.concatenate(chunks),
        offsets=np.array(offsets, np.int64),
        names=np.array(names),
        side=side,
    )
    os.replace(tmp, out)
    return {"n": len(names), "bytes": out.stat().st_size, "path": str(out)}


def load_cache(path: str | os.PathLike, names_filter=None) -> tuple[torch.Tensor, list[str]]:
    """Decode a cache file into (N,3,side,side) uint8 and the list of source paths."""
    z = np.load(path)
    data, off, names = z["data"], z["offsets"], [str(n) for n in z["names"]]
    keep = [i for i, n in enumerate(names) if names_filter is None or names_filter(n)]
    side = int(z["side"])
    arr = np.empty((len(keep), side, side, 3), dtype=np.uint8)
    for j, i in enumerate(keep):
        with Image.open(io.BytesIO(data[off[i] : off[i + 1]].tobytes())) as im:
            arr[j] = np.asarray(im.convert("RGB"))
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous(), [names[i] for i in keep]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--side", type=int, default=160)
    p.add_argument("--quality", type=int, default=85)
    a = p.parse_args(argv)
    info = build_cache(list_images(a.data), a.out, a.side, a.quality)
    print(f"cached {info['n']} photos, {info['bytes'] / 1e6:.1f} MB -> {info['path']}")


if __name__ == "__main__":
    main()
