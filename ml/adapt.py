"""Context adaptation: a collection's own colour references, used only where a held-out check shows they help.

    python -m ml.adapt REF_DIR --out FILE [--folds K] [--checkpoint CKPT] [--verified-colours FILE.json]
    python -m ml.colorize IN OUT --adaptation FILE

An *adaptation* is what the network receives as its global hint when a run has no reference photo: the profile
(`ml.profiles`: mean ab histogram and saturation) of the collection's colour reference photos, plus the colours of
its approved restorations' **verified hints** (never the model's own guesses). The network was trained to read
such profiles of *other* photos of a collection (`ml.groups`, `ml.train --p-profile`), not only a photo's own
histogram (see docs/model.md, "Context adaptation").

**The gate.** Before an adaptation may be used, it is checked on the collection's own references, k-fold
(`FOLDS`): each reference is left out once, and coloured at 0 hints and 256 px without and with the profile of
the *other* references. The gain is a mean of per-photo gains that vary a lot from photo to photo, so the
gate asks for confidence, not only a positive mean: the adaptation is `usable` only if the one-sided 95 % lower
bound of the mean gain (mean - `GATE_Z` x its standard error over the references) is at least `GATE_MARGIN_DB`;
otherwise it is stored with its figures but `Colorizer.colorize` ignores it. (A single split of 8 held-out photos
was measured too noisy: -0.9 dB on 8 held-out references of a set where the same profile gained +1.0 dB on its
other photos; and a gate on the mean alone passed profiles whose +0.4 dB on the references became -0.2 to -0.4 dB
on the collection's other photos, docs/model.md.) The stored profile is then built from all references.

**Verified colours** (from approved restorations): each is `("#rrggbb", weight)`, the weight being the share of
its photo the hint covers (a hint over a tenth of a photo weighs 0.1 of a reference photo). They enter the
histogram like reference pixels, at most `MAX_VERIFIED_SHARE` of it; they do not change the saturation and do not
take part in the gate (they have no ground truth to check against).

**The file** is UTF-8 JSON: `{"body": {...}, "sha256": hex of the canonical JSON of body}`; `from_bytes` checks
the format, version, types and checksum and raises `AdaptationError` (a ValueError) otherwise. An adaptation
records the checksum of the model it was checked with; another model ignores it (rebuild it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bins as B
from .colorspace import hex_to_ab, rgb_to_lab
from .metrics import psnr
from .profiles import Profile, build_profile
from .tiles import scaled

FORMAT = "findcolor-adaptation"
VERSION = 1
MIN_REFERENCES = 5
FOLDS = 5
GATE_MARGIN_DB = 0.05
GATE_Z = 1.645  # one-sided 95 %: the lower bound of the mean gain must clear the margin
GATE_SIDE = 256
MAX_VERIFIED_SHARE = 0.25
MAX_FILE_BYTES = 1 << 20
VARIANTS = ("profile", "calibration")
CAL_RIDGE = 1e3  # pulls the calibration toward the identity (weight of that prior, in pixels' units)
CAL_STRIDE = 7  # every 7th pixel of each reference enters the fit


class AdaptationError(ValueError):
    """A malformed, tampered or unreadable adaptation file."""


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@dataclass(frozen=True)
class Adaptation:
    """A collection's adaptation. body: the JSON-able content (see module doc); profile: its ml.Profile."""

    body: dict
    profile: Profile

    @property
    def gate(self) -> dict:
        return dict(self.body["gate"])

    @property
    def usable(self) -> bool:
        return bool(self.body["gate"]["passed"])

    @property
    def model_checksum(self) -> str:
        return self.body["model_checksum"]

    @property
    def variant(self) -> str:
        """What it changes: "profile" (the network's global hint) or "calibration" (a chroma correction)."""
        return self.body.get("variant", "profile")

    @property
    def calibration(self) -> np.ndarray | None:
        """(3,2) float32 W of the chroma correction ab' = [a, b, 1] @ W, or None."""
        c = self.body.get("calibration")
        return None if c is None else np.asarray(c, np.float32)

    def to_bytes(self) -> bytes:
        body = json.loads(_canonical(self.body))
        doc = {"body": body, "sha256": hashlib.sha256(_canonical(body)).hexdigest()}
        return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8") + b"\n"

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's bytes (what runs and exports record)."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def applies_to(self, colorizer) -> bool:
        """Used by `colorizer`: the gate passed, and it was checked with this very model."""
        return self.usable and self.model_checksum == getattr(colorizer, "checksum", None)

    def summary(self) -> dict:
        b = self.body
        return {
            "checksum": self.checksum,
            "name": b.get("name"),
            "gate": self.gate,
            "n_references": b["n_references"],
            "n_verified_colours": b["n_verified_colours"],
            "model_checksum": b["model_checksum"],
            "created": b["created"],
        }

    def save(self, path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path) -> Adaptation:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                raise AdaptationError(f"{p} is not an adaptation file (larger than {MAX_FILE_BYTES} bytes)")
            data = p.read_bytes()
        except OSError as e:
            raise AdaptationError(f"cannot read adaptation {p}: {e.strerror or e}") from e
        return cls.from_bytes(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> Adaptation:
        """Parse and verify an adaptation file. Raises AdaptationError with a clear message."""
        if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_FILE_BYTES:
            raise AdaptationError("not an adaptation file (not bytes, or too large)")
        try:
            doc = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise AdaptationError(f"not an adaptation file (not JSON: {e})") from e
        if not isinstance(doc, dict) or not isinstance(doc.get("body"), dict):
            raise AdaptationError("not an adaptation file (no body)")
        body = doc["body"]
        if body.get("format") != FORMAT:
            raise AdaptationError(
                f"not an adaptation file (format {body.get('format')!r}, expected {FORMAT!r})"
            )
        if body.get("version") != VERSION:
            raise AdaptationError(f"adaptation format version {body.get('version')!r} is not supported")
        if doc.get("sha256") != hashlib.sha256(_canonical(body)).hexdigest():
            raise AdaptationError("adaptation checksum mismatch: the file is corrupt or was edited")
        return cls.from_body(body)

    @classmethod
    def from_body(cls, body: dict) -> Adaptation:
        try:
            gate = body["gate"]
            ok = (
                isinstance(gate, dict)
                and isinstance(gate.get("passed"), bool)
                and isinstance(body.get("model_checksum"), str)
                and isinstance(body.get("n_references"), int)
                and isinstance(body.get("n_verified_colours"), int)
                and isinstance(body.get("created"), str)
            )
            if not ok:
                raise AdaptationError("malformed adaptation (wrong field types)")
            if body.get("variant", "profile") not in VARIANTS:
                raise AdaptationError(f"malformed adaptation (unknown variant {body.get('variant')!r})")
            cal = body.get("calibration")
            if cal is not None:
                W = np.asarray(cal, dtype=np.float64)
                if W.shape != (3, 2) or not np.isfinite(W).all() or np.abs(W).max() > 200:
                    raise AdaptationError("malformed adaptation (calibration must be 3x2 finite numbers)")
            elif body.get("variant") == "calibration":
                raise AdaptationError("malformed adaptation (a calibration variant without its calibration)")
            profile = Profile.from_dict(body["profile"])
        except AdaptationError:
            raise
        except (KeyError, TypeError, ValueError) as e:
            raise AdaptationError(f"malformed adaptation: {e}") from e
        return cls(body=body, profile=profile)


# ------------------------------------------------------------------------------------------------ building
def verified_histogram(colours) -> tuple[np.ndarray, float]:
    """(Q,) histogram of verified hint colours weighted by their weight, and the total weight."""
    Q = len(B.ab_bins())
    ab, w = [], []
    for item in colours:
        try:
            hx, weight = item
            weight = float(weight)
        except (TypeError, ValueError) as e:
            raise ValueError(f"a verified colour must be ('#rrggbb', weight), got {item!r}") from e
        if not np.isfinite(weight) or weight <= 0:
            raise ValueError(f"a verified colour's weight must be > 0, got {weight!r}")
        ab.append(hex_to_ab(hx))
        w.append(weight)
    if not ab:
        return np.zeros(Q, np.float32), 0.0
    return B.histogram(np.array(ab, np.float32), weights=np.array(w)), float(sum(w))


def make_profile(references, verified_colours=(), name: str | None = None) -> Profile:
    """The adaptation's profile: references' mean profile, with verified colours mixed in (capped share)."""
    p = build_profile(list(references), name=name, max_side=GATE_SIDE)
    vh, total = verified_histogram(verified_colours)
    if total > 0:
        share = min(MAX_VERIFIED_SHARE, total / (len(references) + total))
        p = Profile(
            hist=(1 - share) * p.hist + share * vh, saturation=p.saturation, n_images=p.n_images, name=name
        )
    return p


def _as_rgb8(im) -> np.ndarray:
    a = np.asarray(im)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] < 8 or a.shape[1] < 8:
        raise ValueError(
            f"a colour reference must be an (H,W,3) RGB image of at least 8x8, got shape {a.shape}"
        )
    if a.dtype != np.uint8:
        raise ValueError(f"a colour reference must be uint8 RGB, got {a.dtype}")
    return a[..., :3]


def predict(colorizer, rgb: np.ndarray, profile: Profile | None = None):
    """(L (H,W), true ab (H,W,2), predicted ab at 0 hints) for one reference, as `ml.evaluate` measures."""
    from .evaluate import l_to_gray

    lab = rgb_to_lab(rgb)
    L = lab[..., 0]
    return L, lab[..., 1:], colorizer.colorize(l_to_gray(L), profile=profile).ab


def score(rgb: np.ndarray, L: np.ndarray, ab: np.ndarray) -> float:
    from .evaluate import render

    return psnr(rgb, render(L, ab))


def fit_calibration(preds) -> np.ndarray:
    """Ridge fit (toward the identity) of W (3,2): true ab ~ [a, b, 1] @ W over the references' predictions."""
    X = np.concatenate([_design(ab)[::CAL_STRIDE] for _, _, ab in preds]).astype(np.float64)
    Y = np.concatenate([gt.reshape(-1, 2)[::CAL_STRIDE] for _, gt, _ in preds]).astype(np.float64)
    eye = np.zeros((3, 2))
    eye[0, 0] = eye[1, 1] = 1.0
    lam = CAL_RIDGE * np.eye(3)
    return np.linalg.solve(X.T @ X + lam, X.T @ Y + lam @ eye).astype(np.float32)


def _design(ab: np.ndarray) -> np.ndarray:
    flat = ab.reshape(-1, 2)
    return np.concatenate([flat, np.ones((len(flat), 1), flat.dtype)], axis=1)


def apply_calibration(ab: np.ndarray, W: np.ndarray) -> np.ndarray:
    """ab (H,W,2) Lab chroma -> [a, b, 1] @ W, clipped to the ab range [-110, 110]."""
    out = (_design(ab.astype(np.float32)) @ np.asarray(W, np.float32)).reshape(ab.shape)
    return np.clip(out, -110.0, 110.0).astype(np.float32)


def check_gate(
    colorizer, references, verified_colours=(), folds: int = FOLDS, seed: int = 0, tick=None
) -> dict:
    """The held-out check, k-fold: every reference is left out once and coloured at 0 hints without and with
    each variant made from the *other* references: their profile (+ verified colours) as the global hint, or a
    chroma calibration fitted on them. The variant with the larger mean gain is kept; it passes if the lower
    bound of that mean (mean - GATE_Z x standard error of the per-reference gains) is at least GATE_MARGIN_DB."""
    n = len(references)
    k = max(2, min(folds, n))
    order = np.random.default_rng(seed).permutation(n)
    plain = [predict(colorizer, r) for r in references]
    without = np.array([score(r, L, ab) for r, (L, _, ab) in zip(references, plain, strict=True)])
    got = {v: np.zeros(n) for v in VARIANTS}
    for f in range(k):
        held = sorted(order[f::k].tolist())
        fit = [i for i in range(n) if i not in set(held)]
        trial = make_profile([references[i] for i in fit], verified_colours)
        W = fit_calibration([plain[i] for i in fit])
        for i in held:
            L, _, ab = predict(colorizer, references[i], trial)
            got["profile"][i] = score(references[i], L, ab)
            got["calibration"][i] = score(references[i], plain[i][0], apply_calibration(plain[i][2], W))
        if tick is not None:
            tick((f + 1) / k)
    return {**decide(without, got), "n_references": n, "n_heldout": n, "folds": k}


def decide(without: np.ndarray, got: dict) -> dict:
    """The gate's decision from per-reference PSNRs (dB, each (n,)): `without` the adaptation and `got[variant]`
    with each variant made from the other references. Keeps the variant with the larger mean gain; passes if the
    lower bound of that mean (mean - GATE_Z x standard error of the paired gains) is at least GATE_MARGIN_DB."""
    without = np.asarray(without, np.float64)
    n = len(without)
    if n < 2:
        raise ValueError("the gate needs at least 2 held-out references")
    deltas = {v: float(np.mean(got[v]) - without.mean()) for v in VARIANTS}
    best = max(VARIANTS, key=lambda v: deltas[v])
    delta = deltas[best]
    gains = np.asarray(got[best], np.float64) - without  # per reference, paired: (n,) dB
    se = float(gains.std(ddof=1) / np.sqrt(n))
    lower = delta - GATE_Z * se
    passed = bool(lower >= GATE_MARGIN_DB)
    if passed:
        reason = "helps on held-out references"
    elif delta < GATE_MARGIN_DB:
        reason = f"held-out gain {delta:+.2f} dB is below the {GATE_MARGIN_DB:+.2f} dB margin"
    else:
        reason = f"held-out gain {delta:+.2f} dB is not sure enough (lower bound {lower:+.2f} dB)"
    return {
        "passed": passed,
        "variant": best,
        "variants": {v: round(d, 3) for v, d in deltas.items()},
        "psnr_without": round(float(without.mean()), 3),
        "psnr_with": round(float(np.mean(got[best])), 3),
        "delta_db": round(delta, 3),
        "se_db": round(se, 3),
        "lower_db": round(lower, 3),
        "worse_share": round(float(np.mean(gains < 0)), 3),
        "margin_db": GATE_MARGIN_DB,
        "z": GATE_Z,
        "reason": reason,
    }


def build_adaptation(
    references,
    colorizer,
    verified_colours=(),
    name: str | None = None,
    seed: int = 0,
    folds: int = FOLDS,
    progress=None,
    cancel=None,
) -> Adaptation:
    """Build and gate a collection's adaptation. references: >= MIN_REFERENCES (H,W,3) uint8 RGB arrays.

    Raises ValueError for too few or malformed references or verified colours; ml.Cancelled if cancel() is true.
    """
    refs = [_as_rgb8(r) for r in references]
    if len(refs) < MIN_REFERENCES:
        raise ValueError(f"an adaptation needs at least {MIN_REFERENCES} colour references, got {len(refs)}")
    verified_colours = list(verified_colours)
    verified_histogram(verified_colours)  # validate early
    refs = [r if max(r.shape[:2]) <= GATE_SIDE else _shrink(r) for r in refs]

    def tick(frac):
        if cancel is not None and cancel():
            from .colorizer import Cancelled

            raise Cancelled("adaptation cancelled")
        if progress is not None:
            progress(0.95 * frac)

    tick(0.0)
    gate = check_gate(colorizer, refs, verified_colours, folds=folds, seed=seed, tick=tick)
    profile = make_profile(refs, verified_colours, name=name)
    calibration = None
    if gate["variant"] == "calibration":
        calibration = fit_calibration([predict(colorizer, r) for r in refs]).tolist()
    body = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model_checksum": str(getattr(colorizer, "checksum", "")),
        "model_version": str(getattr(colorizer, "model_version", "")),
        "n_references": len(refs),
        "n_verified_colours": len(verified_colours),
        "gate": gate,
        "variant": gate["variant"],
        "calibration": calibration,
        "profile": profile.to_dict(),
    }
    if progress is not None:
        progress(1.0)
    return Adaptation.from_body(json.loads(_canonical(body)))


def _shrink(rgb: np.ndarray) -> np.ndarray:
    """A reference at most GATE_SIDE px on its long side (box filter)."""
    from PIL import Image

    h, w = scaled(*rgb.shape[:2], GATE_SIDE)
    return np.asarray(Image.fromarray(rgb).resize((w, h), Image.BOX))


# ------------------------------------------------------------------------------------------------ CLI
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


def read_references(folder) -> list[np.ndarray]:
    """Every colour image in a folder (sorted by name), at most GATE_SIDE px on the long side."""
    from PIL import Image

    d = Path(folder)
    if not d.is_dir():
        raise ValueError(f"{folder} is not a folder")
    out = []
    for f in sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        try:
            with Image.open(f) as im:
                im.draft("RGB", (GATE_SIDE * 2, GATE_SIDE * 2))
                im = im.convert("RGB")
                im.thumbnail((GATE_SIDE, GATE_SIDE))
                out.append(np.asarray(im, dtype=np.uint8))
        except OSError as e:
            raise ValueError(f"cannot read {f}: {e}") from e
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.adapt", description=__doc__.split("\n\n")[0])
    p.add_argument("ref_dir", help="folder of colour reference photos of the collection")
    p.add_argument("--out", required=True, help="adaptation file to write (JSON)")
    p.add_argument("--name", default=None)
    p.add_argument("--folds", type=int, default=FOLDS, help="the gate's folds (each reference left out once)")
    p.add_argument("--verified-colours", default=None, help='JSON file: [["#rrggbb", weight], ...]')
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        refs = read_references(a.ref_dir)
        verified = []
        if a.verified_colours:
            try:
                verified = json.loads(Path(a.verified_colours).read_text())
            except (OSError, json.JSONDecodeError) as e:
                raise ValueError(f"cannot read {a.verified_colours}: {e}") from e
        from .checkpoint import CheckpointError
        from .colorizer import Colorizer

        try:
            c = Colorizer.load(a.checkpoint)
        except CheckpointError as e:
            raise ValueError(str(e)) from e
        t = time.perf_counter()
        ad = build_adaptation(refs, c, verified, name=a.name, seed=a.seed, folds=a.folds)
        ad.save(a.out)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    g = ad.gate
    verdict = "used" if g["passed"] else "NOT used"
    print(
        f"wrote {a.out}: colour references {g['n_references']} photos; on {g['n_heldout']} held-out ones "
        f"{g['delta_db']:+.2f} dB ({g['psnr_without']:.2f} -> {g['psnr_with']:.2f}): {verdict}; "
        f"{time.perf_counter() - t:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
