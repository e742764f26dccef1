"""The Colorizer: the platform's entry point to the model (load, colorize, suggest, gamut).

Checkpoints are read and verified by ml/checkpoint.py, tiles laid out by ml/tiles.py, and the settings a
Colorizer runs with are ml/inference.py's InferenceSettings.

Pipeline of `colorize` for an (H,W) photo:
  1. lightness L (H,W) in [0,100] from 8/16-bit or float gray, or from the L of an RGB input;
  2. global pass: the whole photo at <= 256 px long side through the network (`ml/net.py`: frozen EfficientNet-Lite0
     encoder, prior decoder, hint tokens attended by every pixel) -> chroma, bin distribution (uncertainty,
     suggestions) and the global vector g; global hint from the reference photo, else the profile, else a usable adaptation (ml.adapt), else withheld;
  3. working pass (only when work_side > 256 and the photo is larger): overlapping tiles that all receive g and
     the hints inside them; the difficulty classifier (DCM), reading the global pass's features of the tile's
     region, lets an easy hint-free tile keep the global pass's chroma; tiles are blended with linear ramps;
  4. verified hints: a local anchor correction (a few pixels around each anchor, edge-aware) at the working size;
     the network itself already spreads a hint over its object; nothing is flooded over the photo;
  5. chroma upsampled to full resolution guided by the full-resolution L (L itself is untouched), then an exact
     fix at each anchor pixel (error ~1e-6 Lab).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from . import bins as B
from . import reach
from .checkpoint import MODEL_NAME, CheckpointError, load_checkpoint, untrained_checkpoint
from .color import torch_lab_to_rgb
from .colorspace import gray_to_l, lab_to_rgb, rgb_to_hex, rgb_to_l
from .encoder import EncoderMismatch, load_encoder
from .enforce import exact_fix, guided_upsample, resize
from .hints import Fence, Hint
from .inference import InferenceSettings
from .net import FindColorNet2, NetArgs
from .profiles import Profile, image_global_hint
from .tiles import ramp, scaled, tile_starts

# The network's era/situation embeddings were never trained with labels (issue 24): they are always fed
# "unknown" (0). Era and situation adapt the colours only through an adaptation (ml.adapt) built from references.
UNKNOWN_CONTEXT = (0, 0)


class Cancelled(Exception):
    """Raised inside colorize() when the caller's cancel() callback returns True."""


@dataclass
class ColorizeResult:
    """rgb (H,W,3) uint8 sRGB; ab (H,W,2) float32 Lab chroma; uncertainty (H,W) float32 in [0,1] (low at hints);
    hint_errors: Lab chroma error at each verified hint after enforcement; timings: seconds per stage + counts."""

    rgb: np.ndarray
    ab: np.ndarray
    uncertainty: np.ndarray
    model_version: str
    hint_errors: list[float] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    adaptation: str | None = (
        None  # checksum of the ml.adapt.Adaptation applied (profile or calibration), or None
    )


def parse_gray(gray) -> np.ndarray:
    """The lightness of an input photo. gray: (H,W) uint8/uint16/float in [0,1], (H,W,1), or (H,W,3|4) RGB(A).

    Returns (H,W) float32, L in [0,100]. Raises ValueError for anything else.
    """
    if not isinstance(gray, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(gray).__name__}")
    g = gray
    if g.ndim == 3 and g.shape[2] == 1:
        g = g[..., 0]
    if g.ndim == 3 and g.shape[2] in (3, 4):
        if g.dtype not in (np.uint8, np.uint16) and not np.issubdtype(g.dtype, np.floating):
            raise ValueError(f"unsupported image dtype {g.dtype}")
        if np.issubdtype(g.dtype, np.floating) and not np.isfinite(g).all():
            raise ValueError("image contains NaN or infinite values")
        L = rgb_to_l(g[..., :3])
    elif g.ndim == 2:
        if g.dtype not in (np.uint8, np.uint16) and not np.issubdtype(g.dtype, np.floating):
            raise ValueError(f"unsupported image dtype {g.dtype}; use uint8, uint16 or float in [0,1]")
        if np.issubdtype(g.dtype, np.floating) and not np.isfinite(g).all():
            raise ValueError("image contains NaN or infinite values")
        L = gray_to_l(g)
    else:
        raise ValueError(f"expected an (H,W) gray or (H,W,3) RGB image, got shape {g.shape}")
    if L.shape[0] < 1 or L.shape[1] < 1:
        raise ValueError(f"empty image of shape {g.shape}")
    return L


def hint_tokens(hints, H: int, W: int, step: float = 0.02, max_per_hint: int = 16) -> np.ndarray:
    """The network's hint tokens for an (H,W) photo: (K,6) float32 rows (x, y, a, b, reach code, hint index),
    x = column / W; a Fence gives dense rows with reach code `reach.FENCE` (`ml/reach.py`).

    A point hint is one token at its centre plus, when its radius is large (> 2 % of the long side), six tokens
    on a ring at 60 % of its radius; a stroke gives tokens along its polyline every `step` of the long side.
    """
    long = max(H, W)
    rows, fences = [], []
    for i, h in enumerate(hints):
        if isinstance(h, Fence):
            fences.append(reach.fence_rows(h, H, W, i))
            continue
        a, b = h.ab
        pts = [(h.x, h.y)] + list(h.points or [])
        if len(pts) > 1:
            P = np.array(pts, dtype=np.float64)
            seg = []
            for p0, p1 in zip(P[:-1], P[1:], strict=True):
                d = np.hypot((p1[0] - p0[0]) * W, (p1[1] - p0[1]) * H) / long
                n = max(int(np.ceil(d / step)), 1)
                t = np.linspace(0, 1, n + 1)[:-1, None]
                seg.append(p0 + t * (p1 - p0))
            seg.append(P[-1:])
            S = np.concatenate(seg)
            if len(S) > max_per_hint:
                S = S[np.linspace(0, len(S) - 1, max_per_hint).round().astype(int)]
            pts = [tuple(p) for p in S]
        elif h.radius > 0.02:
            r = 0.6 * h.radius * long
            for k in range(6):
                ang = k * np.pi / 3
                pts.append((h.x + r * np.cos(ang) / W, h.y + r * np.sin(ang) / H))
        for px, py in pts:
            rows.append((min(max(px, 0.0), 1.0), min(max(py, 0.0), 1.0), a, b, reach.reach_code(h), i))
    return np.concatenate([np.array(rows, dtype=np.float32).reshape(-1, reach.TOKEN_COLS), *fences])


class Colorizer:
    """A loaded model. Thread-safe: forward passes are serialized by a lock; everything else is per call."""

    GLOBAL_SIDE = 256

    def __init__(
        self,
        ckpt: dict,
        checksum: str,
        device: str | None = None,
        settings: InferenceSettings | None = None,
        **overrides,
    ):
        """ckpt: a checkpoint dict (ml/checkpoint.py); settings: the inference settings, by default the
        checkpoint's own (InferenceSettings.of_checkpoint) with any keyword `overrides` (e.g. work_side=512)."""
        self.device = torch.device(device or "cpu")
        if ckpt.get("model_name") != MODEL_NAME or "encoder" not in ckpt:
            raise CheckpointError(
                f"checkpoint model {ckpt.get('model_name')!r} is not a {MODEL_NAME} checkpoint (an older model "
                "format); use ml/weights/findcolor.pt of this version"
            )
        ident = ckpt["encoder"]
        try:
            encoder, self.encoder_identity = load_encoder(expected_sha256=str(ident.get("sha256", "")))
            encoder.load_tuned(ckpt.get("encoder_tuned") or {})
        except EncoderMismatch as e:
            raise CheckpointError(str(e)) from e
        self.args = NetArgs.from_dict(ckpt["model_args"])
        self.net = FindColorNet2(self.args, encoder)
        try:
            self.net.load_state_dict(ckpt["model"])
        except RuntimeError as e:
            raise CheckpointError(f"checkpoint weights do not fit the model: {e}") from e
        self.net.eval().to(self.device)
        encoder.to(self.device)
        self.model_name = str(ckpt["model_name"])
        self.model_version = str(ckpt["model_version"])
        self.checksum = checksum
        self.config = ckpt["config"]
        if settings is None:
            settings = InferenceSettings.of_checkpoint(ckpt, **overrides)
        elif overrides:
            settings = replace(settings, **overrides)
        self.settings = settings
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, device: str | None = None, **kwargs) -> Colorizer:
        """Load and verify a checkpoint (default: the shipped ml/weights/findcolor.pt). Raises CheckpointError."""
        ck, digest = load_checkpoint(path)
        return cls(ck, digest, device=device, **kwargs)

    @classmethod
    def untrained(cls, seed: int = 0, **kwargs) -> Colorizer:
        """A Colorizer with the real encoder and a seeded, untrained head (tests; the pipeline runs for real)."""
        return cls(untrained_checkpoint(seed), "0" * 64, **kwargs)

    # ------------------------------------------------------------------------------------------ network
    def _ghint(self, reference, profile) -> np.ndarray:
        """The global hint (Q+2,): a reference photo, else a profile, else withheld."""
        Q = self.args.n_bins
        if reference is not None:
            ref = np.asarray(reference)
            if ref.ndim != 3 or ref.shape[2] not in (3, 4):
                raise ValueError(f"reference must be an (H,W,3) RGB array, got shape {ref.shape}")
            if ref.dtype != np.uint8:
                ref = (
                    (
                        np.clip(ref.astype(np.float32) / (65535.0 if ref.dtype == np.uint16 else 1.0), 0, 1)
                        * 255
                    )
                    .round()
                    .astype(np.uint8)
                )
            return image_global_hint(ref[..., :3])
        if profile is not None:
            if not isinstance(profile, Profile):
                raise ValueError("profile must be an ml.Profile")
            return profile.vector()
        return np.zeros(Q + 2, dtype=np.float32)

    def _in_use(self, adaptation, reference, profile):
        """`adaptation` (an ml.adapt.Adaptation or None) when it guides this call, else None: no reference photo
        or profile was given, and its gate passed on this very model."""
        if adaptation is None:
            return None
        from .adapt import Adaptation

        if not isinstance(adaptation, Adaptation):
            raise ValueError("adaptation must be an ml.adapt.Adaptation")
        if reference is not None or profile is not None or not adaptation.applies_to(self):
            return None
        return adaptation

    @torch.no_grad()
    def _forward(self, L, tokens, ghint, ctx_ids, g=None, mix=0.0, want_taps=False):
        """One network pass. L (h,w) [0,100]; tokens (K,4) normalized to this image. Pads to multiples of 32.

        Returns dict: ab (h,w,2) Lab units, logits (Q,ceil(h/4),ceil(w/4)), g (1,gdim), f8 (1,40,h8,w8) or None.
        """
        h, w = L.shape
        ph, pw = (-h) % 32, (-w) % 32
        x = torch.from_numpy(np.ascontiguousarray(L, dtype=np.float32))[None, None]
        x = F.pad(x, (0, pw, 0, ph), mode="replicate").to(self.device)
        tok = np.asarray(tokens, np.float32).reshape(-1, reach.TOKEN_COLS).copy()
        tok[:, 0] *= w / (w + pw)
        tok[:, 1] *= h / (h + ph)
        tok, pen = reach.token_terms(
            x[0, 0].cpu().numpy(), tok, self.settings.hint_reach, self.settings.reach_edge
        )
        pen = None if pen is None else torch.from_numpy(pen)[None].to(self.device)
        tok = torch.from_numpy(tok)[None].to(self.device)
        tm = torch.ones(1, tok.shape[1], dtype=torch.bool, device=self.device)
        gh = torch.from_numpy(np.asarray(ghint, np.float32)[None]).to(self.device)
        era = torch.tensor([ctx_ids[0]], device=self.device)
        sit = torch.tensor([ctx_ids[1]], device=self.device)
        with self._lock:
            taps, pooled = self.net.encode(x)
            out = self.net.head(
                x,
                taps,
                pooled,
                tok,
                tm,
                gh,
                era,
                sit,
                g=g,
                null_bias=self.settings.null_bias,
                hint_hist=self.settings.hint_hist,
                reach=self.settings.hint_reach,
                penalty=pen,
            )
            ab = out["ab"]
            if mix > 0:
                size = x.shape[-2:]
                am = F.interpolate(
                    B.annealed_mean(out["logits"], self.settings.anneal_T),
                    size=size,
                    mode="bilinear",
                    align_corners=False,
                )
                wn = F.interpolate(out["wnull"], size=size, mode="bilinear", align_corners=False)
                ab = ab + mix * wn * (am - out["prior_ab"])
        return {
            "ab": ab[0, :, :h, :w].permute(1, 2, 0).cpu().numpy(),
            "logits": out["logits"][0, :, : max((h + 3) // 4, 1), : max((w + 3) // 4, 1)].cpu(),
            "g": out["g"],
            "f8": taps[1] if want_taps else None,
        }

    def _tiled(self, L, hints, ghint, ctx_ids, glob, use_dcm, tick, timings, mix):
        """Overlapping tiles at the working size, each with the hints inside it and the global pass's vector g;
        with the DCM on, a hint-free tile it calls easy keeps the global pass's chroma (upsampled)."""
        H, W = L.shape
        T, ov = self.settings.tile, self.settings.overlap
        acc = np.zeros((H, W, 2), dtype=np.float32)
        wsum = np.zeros((H, W, 1), dtype=np.float32)
        rs, cs = tile_starts(H, T, ov), tile_starts(W, T, ov)
        tokens = hint_tokens(hints, H, W)
        cheap = resize(glob["ab"], H, W, "bilinear")
        f8 = glob["f8"]
        gh, gw = glob["ab"].shape[:2]
        n_easy = n = 0
        for r0 in rs:
            for c0 in cs:
                tick()
                r1, c1 = min(r0 + T, H), min(c0 + T, W)
                px, py = tokens[:, 0] * W, tokens[:, 1] * H
                inside = (px >= c0) & (px < c1) & (py >= r0) & (py < r1)
                easy = False
                if use_dcm and not inside.any() and f8 is not None:
                    # the tile's region in the global pass's 1/8 features
                    fr0, fr1 = (
                        int(r0 / H * gh / 8),
                        max(int(np.ceil(r1 / H * gh / 8)), int(r0 / H * gh / 8) + 1),
                    )
                    fc0, fc1 = (
                        int(c0 / W * gw / 8),
                        max(int(np.ceil(c1 / W * gw / 8)), int(c0 / W * gw / 8) + 1),
                    )
                    with self._lock, torch.no_grad():
                        p = torch.sigmoid(self.net.difficulty(f8[..., fr0:fr1, fc0:fc1], glob["g"]))[0]
                    easy = bool(p < self.settings.dcm_threshold)
                if easy:
                    ab = cheap[r0:r1, c0:c1]
                else:
                    t = tokens[inside].copy()
                    t[:, 0] = (px[inside] - c0) / (c1 - c0)
                    t[:, 1] = (py[inside] - r0) / (r1 - r0)
                    ab = self._forward(L[r0:r1, c0:c1], t, ghint, ctx_ids, g=glob["g"], mix=mix)["ab"]
                wy = ramp(r1 - r0, min(ov, r1 - r0), r0 == 0, r1 == H)
                wx = ramp(c1 - c0, min(ov, c1 - c0), c0 == 0, c1 == W)
                wt = (wy[:, None] * wx[None, :])[..., None]
                acc[r0:r1, c0:c1] += ab * wt
                wsum[r0:r1, c0:c1] += wt
                n += 1
                n_easy += int(easy)
        timings["tiles"] = n
        timings["tiles_easy"] = n_easy
        return acc / np.maximum(wsum, 1e-8)

    @staticmethod
    def _anchors(verified, H, W):
        anchors, targets, owner = [], [], []
        for i, h in enumerate(verified):
            a = h.anchor_pixels(H, W)
            anchors.append(a)
            targets.append(np.tile(np.array(h.ab, np.float32), (len(a), 1)))
            owner.append(np.full(len(a), i))
        A, Tg, Ow = np.concatenate(anchors), np.concatenate(targets), np.concatenate(owner)
        keep = {}
        for j, (r, c) in enumerate(A):  # a later hint wins a shared pixel
            keep[(int(r), int(c))] = j
        idx = np.array(sorted(keep.values()))
        return A[idx], Tg[idx], Ow[idx]

    # ------------------------------------------------------------------------------------------ API
    def colorize(
        self,
        gray,
        hints=(),
        reference=None,
        profile: Profile | None = None,
        adaptation=None,
        max_side: int | None = None,
        use_dcm: bool = True,
        progress=None,
        cancel=None,
        enforce_side: int | None = None,
    ) -> ColorizeResult:
        """Colorize a photo. See the module docstring for the pipeline and ml/__init__ for the argument types.

        gray: (H,W) uint8/uint16/float in [0,1] or (H,W,3) RGB. Returns a ColorizeResult at (H,W), or at the
        downscaled size when max_side is smaller than the long side. Raises ValueError, Cancelled.
        (`enforce_side` is accepted for compatibility and ignored: verified hints are enforced locally.)
        """
        timings: dict = {}
        t_all = time.perf_counter()

        def tick(frac=None):
            if cancel is not None and cancel():
                raise Cancelled("colorization cancelled")
            if progress is not None and frac is not None:
                progress(float(min(max(frac, 0.0), 1.0)))

        def lap(name, t0):
            timings[name + "_s"] = round(time.perf_counter() - t0, 4)
            return time.perf_counter()

        tick(0.0)
        t = time.perf_counter()
        L = parse_gray(gray)
        hints = list(hints or ())
        for h in hints:
            if not isinstance(h, (Hint, Fence)):
                raise ValueError(f"hints must be ml.Hint or ml.Fence objects, got {type(h).__name__}")
        if max_side is not None:
            if int(max_side) < 1:
                raise ValueError("max_side must be >= 1")
            hh, ww = scaled(*L.shape, int(max_side))
            if (hh, ww) != L.shape:
                L = resize(L, hh, ww, "area")
        H, W = L.shape
        ctx_ids = UNKNOWN_CONTEXT
        # an adaptation is either the global hint (variant "profile") or a chroma calibration of the automatic
        # colours (variant "calibration": applied only without hints, where nothing a curator chose is changed)
        active = self._in_use(adaptation, reference, profile)
        if active is not None and active.variant == "profile":
            profile = active.profile
        ghint = self._ghint(reference, profile)
        calibrate = active is not None and active.variant == "calibration" and not hints
        used = active.checksum if active is not None and (active.variant == "profile" or calibrate) else None
        mix = self.settings.anneal_mix_hinted if hints else self.settings.anneal_mix
        t = lap("prepare", t)

        # 2. global pass (the whole photo at <= 256 px): chroma, bin distribution, global vector g
        gh, gw = scaled(H, W, self.GLOBAL_SIDE)
        Lg = resize(L, gh, gw, "area")
        og = self._forward(Lg, hint_tokens(hints, gh, gw), ghint, ctx_ids, mix=mix, want_taps=True)
        t = lap("global", t)
        tick(0.3)

        # 3. working pass (tiles) for photos larger than the global pass
        wh, ww = scaled(H, W, self.settings.work_side)
        if (wh, ww) == (gh, gw) or self.settings.work_side <= self.GLOBAL_SIDE:
            wh, ww = gh, gw
            Lw, ab_w = Lg, og["ab"]
            timings["tiles"], timings["tiles_easy"] = 1, 0
        else:
            Lw = resize(L, wh, ww, "area")
            ab_w = self._tiled(Lw, hints, ghint, ctx_ids, og, use_dcm, tick, timings, mix)
        if calibrate:
            from .adapt import apply_calibration

            ab_w = apply_calibration(np.asarray(ab_w, dtype=np.float32), active.calibration)
        t = lap("tiles", t)
        tick(0.6)

        # 4. verified hints: a local anchor correction at the working size (a few pixels around each anchor)
        verified = [h for h in hints if h.verified]
        if verified:
            A, Tg, _ = self._anchors(verified, wh, ww)
            ab_w = exact_fix(Lw, np.array(ab_w, dtype=np.float32), A, Tg, s_px=self.settings.anchor_px)
        t = lap("enforce", t)
        tick(0.75)

        # 5. guided upsampling to full resolution, exact fix at the anchors
        ab = guided_upsample(Lw, ab_w, L) if (wh, ww) != (H, W) else np.array(ab_w, dtype=np.float32)
        hint_errors: list[float] = []
        if verified:
            A, Tg, Ow = self._anchors(verified, H, W)
            ab = exact_fix(L, ab, A, Tg)
            err = np.linalg.norm(ab[A[:, 0], A[:, 1]] - Tg, axis=1)
            hint_errors = [
                float(err[Ow == i].max()) if (Ow == i).any() else 0.0 for i in range(len(verified))
            ]
        t = lap("upsample", t)
        tick(0.85)

        unc = self._uncertainty(og["logits"], hints, H, W)
        rgb = self._to_rgb(L, ab)
        lap("render", t)
        timings["total_s"] = round(time.perf_counter() - t_all, 4)
        tick(1.0)
        return ColorizeResult(
            rgb=rgb,
            ab=ab,
            uncertainty=unc,
            model_version=self.model_version,
            hint_errors=hint_errors,
            timings=timings,
            adaptation=used,
        )

    def _uncertainty(self, logits, hints, H, W) -> np.ndarray:
        """Normalized entropy of the bin distribution, lowered around hints. Returns (H,W) float32 in [0,1]."""
        logp = F.log_softmax(logits.float(), dim=0)
        ent = (-(logp.exp() * logp).sum(0) / np.log(logp.shape[0])).numpy()
        ent = resize(ent, H, W, "bilinear")
        if hints:
            h, w = scaled(H, W, 128)
            rr, cc = np.mgrid[0:h, 0:w]
            near = np.zeros((h, w), dtype=np.float32)
            for hint in hints:
                s = max((0.04 + hint.radius) * max(h, w), 2.0)
                pts = [(hint.x, hint.y)] + list(hint.points or [])
                for px, py in pts:
                    d2 = (rr + 0.5 - py * h) ** 2 + (cc + 0.5 - px * w) ** 2
                    near = np.maximum(near, np.exp(-d2 / (2 * s * s)))
            ent = ent * (1 - resize(near, H, W, "bilinear"))
        return np.clip(ent, 0.0, 1.0).astype(np.float32)

    @staticmethod
    def _to_rgb(L, ab, chunk_rows: int = 512) -> np.ndarray:
        H, W = L.shape
        out = np.empty((H, W, 3), dtype=np.uint8)
        for r0 in range(0, H, chunk_rows):
            r1 = min(r0 + chunk_rows, H)
            lab = torch.from_numpy(np.concatenate([L[None, r0:r1], ab[r0:r1].transpose(2, 0, 1)], axis=0))
            rgb = torch_lab_to_rgb(lab[None].float())[0]
            out[r0:r1] = (rgb * 255).round_().to(torch.uint8).permute(1, 2, 0).numpy()
        return out

    def suggest(self, gray, point, hints=(), k: int = 8, reference=None, profile=None, adaptation=None):
        """The k most likely colours at a point. point: (x, y) normalized to [0,1].

        Returns a list of (hex '#rrggbb', probability) pairs, most likely first; colours are the in-gamut ab bins at
        the point's lightness, probabilities renormalized over those bins.
        """
        x, y = point
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError(f"point must be normalized to [0,1], got {point}")
        L = parse_gray(gray)
        H, W = L.shape
        gh, gw = scaled(H, W, self.GLOBAL_SIDE)
        Lg = resize(L, gh, gw, "area")
        active = self._in_use(adaptation, reference, profile)
        if (
            active is not None and active.variant == "profile"
        ):  # a calibration does not change the distribution
            profile = active.profile
        og = self._forward(
            Lg, hint_tokens(list(hints), gh, gw), self._ghint(reference, profile), UNKNOWN_CONTEXT
        )
        lg = og["logits"]
        r = min(int(y * lg.shape[1]), lg.shape[1] - 1)
        c = min(int(x * lg.shape[2]), lg.shape[2] - 1)
        Lp = float(L[min(int(y * H), H - 1), min(int(x * W), W - 1)])
        ok = torch.from_numpy(B.gamut_mask(Lp))
        if not ok.any():
            ok = torch.ones_like(ok)
        p = F.softmax(lg[:, r, c].float(), dim=0) * ok
        p = p / p.sum()
        top = torch.topk(p, min(k, int(ok.sum())))
        bins = B.ab_bins()
        out = []
        for prob, q in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            rgb = lab_to_rgb(np.array([[Lp, bins[q, 0], bins[q, 1]]]))[0]
            out.append((rgb_to_hex(rgb), float(prob)))
        return out

    def gamut(self, L: float) -> list[str]:
        """The in-gamut ab bin colours at lightness L in [0,100], as '#rrggbb' strings."""
        return B.gamut_hex(L)


_CACHED: dict[str, Colorizer] = {}
_CACHE_LOCK = threading.Lock()


def get_colorizer(device: str = "cpu") -> Colorizer:
    """The process-wide Colorizer of the shipped checkpoint on `device` ("cpu", "cuda", ...): loaded on first
    use, one per device. The only model cache: the platform's gateway (colorize/services/model.py) uses it."""
    with _CACHE_LOCK:
        if device not in _CACHED:
            _CACHED[device] = Colorizer.load(device=device)
        return _CACHED[device]
