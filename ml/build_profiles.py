"""Build context profiles from folders of colour photos (see ml.profiles)."""

from __future__ import annotations

import numpy as np


def main(argv=None):
    """Build profiles from folders of colour photos: python -m ml.build_profiles OUT.json KEY=DIR [KEY=DIR ...] [--limit N]

    KEY is a context key 'era/situation' (e.g. 'unknown/street'); the output maps keys to Profile.to_dict().
    """
    import argparse
    import json
    from pathlib import Path

    from .data import list_images, load_rgb
    from .profiles import build_profile

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("out")
    p.add_argument("pairs", nargs="+", help="KEY=DIR")
    p.add_argument("--limit", type=int, default=300)
    a = p.parse_args(argv)
    out = {}
    for pair in a.pairs:
        key, _, d = pair.partition("=")
        if "/" not in key or not d:
            raise SystemExit(f"error: bad pair {pair!r}; expected era/situation=DIR")
        files = list_images(d)
        files = [files[i] for i in np.linspace(0, len(files) - 1, min(a.limit, len(files))).astype(int)]
        prof = build_profile([load_rgb(f) for f in files], name=key)
        prof.meta = {"source": str(d), "images": len(files)}
        out[key] = prof.to_dict()
        print(f"{key}: {len(files)} images, saturation {prof.saturation:.3f}")
    Path(a.out).write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
