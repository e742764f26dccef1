"""The Find Color v2 network: frozen pretrained encoder, light decoder (the prior), learned hint propagation.

Inputs:
  L            (B,1,H,W)  lightness in [0,100] (H, W multiples of 32)
  tokens       (B,K,4)    hints as tokens: (x, y) in [0,1] (x = column / W), (a, b) in Lab units
  tmask        (B,K)      True where a token is real (K may be 0)
  ghint        (B,Q+2)    global hint: ab histogram over the Q bins, mean saturation, "given" flag
  era, situation (B,)     context ids, 0 = "unknown"

1. Encoder: EfficientNet-Lite0 (ImageNet, frozen, `ml/encoder.py`) on L replicated to 3 channels -> features at
   1/4 (24 ch), 1/8 (40), 1/16 (112), 1/32 (320) and the pooled 1280-d head vector.
2. Global vector g: pooled semantics + global hint + the histogram of the hint colours + era/situation
   embeddings; it modulates the decoder (FiLM at 1/32 and 1/8).
3. Prior decoder (automatic colour): U-Net style up-path with skips to 1/4, plus a tiny L stem at 1/2 for edges;
   heads: ab-bin logits (Q, class-rebalanced CE) at 1/4 and regression ab at 1/2.
4. Hint propagation: every pixel at 1/2 resolution gets an embedding (decoder features, L stem, position). Each
   hint token is a key made from the embedding at its position and its colour. Every pixel attends (softmax over
   the K hints + a per-pixel *null* logit); the null token's value is the prior's colour, a hint's value its
   colour, so a hint colours the pixels that look like its own and nothing else. A small refinement conv then
   cleans the result. Output ab at full resolution (bilinear from 1/2).
5. DCM (difficulty classifier) reads the pooled 1/8 encoder features of a tile and the global vector; it predicts
   whether the tile's own network pass is needed or whether the whole photo's (global-pass) chroma, upsampled, is
   good enough (trained after the main training, `ml.train --dcm`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .encoder import TAP_CHANNELS, EfficientNetLite0


@dataclass
class NetArgs:
    n_bins: int = 262
    gdim: int = 128
    emb_dim: int = 8
    n_eras: int = 16
    n_situations: int = 16
    dec: tuple[int, int, int, int] = (128, 96, 64, 48)  # decoder widths at 1/32, 1/16, 1/8, 1/4
    half: int = 16  # width at 1/2
    stem: int = 8
    key_dim: int = 32

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> NetArgs:
        d = dict(d)
        d["dec"] = tuple(d["dec"])
        return cls(**d)


def cbr(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class Up(nn.Module):
    """x (B,cin,h,w) up to the skip's size, concat skip, 1x1 merge, residual 3x3."""

    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.merge = cbr(cin + cskip, cout, 1)
        self.conv = cbr(cout, cout, 3)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self.merge(torch.cat([x, skip], dim=1))
        return x + self.conv(x)


def hint_histogram(tokens: torch.Tensor, tmask: torch.Tensor, n_bins: int) -> torch.Tensor:
    """Histogram of the hint colours over the ab bins + count/64. tokens (B,K,4), tmask (B,K) -> (B,Q+1)."""
    from . import bins as Bn

    Bsz = tokens.shape[0]
    out = torch.zeros(Bsz, n_bins + 1, device=tokens.device)
    if tokens.shape[1] == 0:
        return out
    idx = Bn.encode(tokens[..., 2:4].permute(0, 2, 1)[..., None].float())[..., 0]  # (B,K)
    w = tmask.float()
    out[:, :n_bins].scatter_add_(1, idx, w)
    cnt = w.sum(1, keepdim=True)
    out[:, :n_bins] /= cnt.clamp(min=1)
    out[:, n_bins] = cnt[:, 0] / 64.0
    return out


class FindColorNet2(nn.Module):
    def __init__(self, args: NetArgs, encoder: EfficientNetLite0 | None = None):
        super().__init__()
        self.args = args
        Q = args.n_bins
        c4, c8, c16, c32 = TAP_CHANNELS
        d32, d16, d8, d4 = args.dec
        # the encoder is not a registered submodule: the checkpoint holds only what the project trained
        self.__dict__["encoder"] = encoder
        self.pool_fc = nn.Sequential(nn.Linear(1280, 96), nn.ReLU(inplace=True))
        self.ghint_fc = nn.Sequential(nn.Linear(Q + 2, 48), nn.ReLU(inplace=True))
        self.hhist_fc = nn.Sequential(nn.Linear(Q + 1, 32), nn.ReLU(inplace=True))
        self.era_emb = nn.Embedding(args.n_eras, args.emb_dim)
        self.sit_emb = nn.Embedding(args.n_situations, args.emb_dim)
        self.gfc = nn.Sequential(nn.Linear(96 + 48 + 32 + 2 * args.emb_dim, args.gdim), nn.ReLU(inplace=True))
        self.in32 = cbr(c32, d32, 1)
        self.film32 = nn.Linear(args.gdim, 2 * d32)
        self.mid = cbr(d32, d32, 3)
        self.up16 = Up(d32, c16, d16)
        self.up8 = Up(d16, c8, d8)
        self.film8 = nn.Linear(args.gdim, 2 * d8)
        self.up4 = Up(d8, c4, d4)
        self.head_bins = nn.Conv2d(d4, Q, 1)
        self.stem = nn.Sequential(cbr(1, args.stem, 3, 2), cbr(args.stem, args.stem, 3))
        self.up2 = Up(d4, args.stem, args.half)
        self.head_ab = nn.Conv2d(args.half, 2, 3, padding=1)
        # propagation
        D = args.key_dim
        self.q_proj = nn.Conv2d(args.half + 3, D, 1)
        self.k_proj = nn.Sequential(nn.Linear(D + 2, D), nn.ReLU(inplace=True), nn.Linear(D, D))
        self.null = nn.Conv2d(args.half, 1, 1)
        self.refine = nn.Sequential(cbr(args.half + 5, args.half, 3), nn.Conv2d(args.half, 2, 3, padding=1))
        nn.init.zeros_(self.refine[1].weight)
        nn.init.zeros_(self.refine[1].bias)
        # DCM: pooled 1/8 encoder features + g -> "this tile needs its own pass"
        self.dcm = nn.Sequential(nn.Linear(2 * c8 + args.gdim, 32), nn.ReLU(inplace=True), nn.Linear(32, 1))

    @property
    def encoder(self) -> EfficientNetLite0:
        return self.__dict__["encoder"]

    def set_encoder(self, enc: EfficientNetLite0) -> None:
        self.__dict__["encoder"] = enc

    # ---------------------------------------------------------------- pieces
    def encode(self, L):
        """L (B,1,H,W) [0,100] -> (taps [f4, f8, f16, f32], pooled (B,1280)); gradient only through the tuned
        top of the encoder, if any (`EfficientNetLite0.tune`)."""
        enc = self.encoder
        return enc.features(enc.prepare(L.float()))

    def global_vector(self, pooled, ghint, hhist, era, situation):
        z = torch.cat(
            [self.pool_fc(pooled), self.ghint_fc(ghint), self.hhist_fc(hhist), self.era_emb(era),
             self.sit_emb(situation)], dim=1,
        )  # fmt: skip
        return self.gfc(z)

    @staticmethod
    def _film(x, fc, g):
        gam, bet = fc(g).chunk(2, dim=1)
        return x * (1 + gam[:, :, None, None]) + bet[:, :, None, None]

    def prior(self, L, taps, g):
        """The automatic colour. Returns h2 (B,half,H/2,W/2), ab2 (B,2,H/2,W/2) Lab units, logits (B,Q,H/4,W/4)."""
        f4, f8, f16, f32 = taps
        x = self._film(self.in32(f32), self.film32, g)
        x = x + self.mid(x)
        x = self.up16(x, f16)
        x = self._film(self.up8(x, f8), self.film8, g)
        d4 = self.up4(x, f4)
        logits = self.head_bins(d4)
        s = self.stem(L / 50.0 - 1.0)
        h2 = self.up2(d4, s)
        ab2 = self.head_ab(h2) * 110.0
        return h2, ab2, logits

    def propagate(
        self, h2, prior_ab2, L, tokens, tmask, null_bias: float = 0.0, reach: float = 0.0, dist=None,
        penalty=None,
    ):  # fmt: skip
        """Attention of every 1/2-res pixel over the hint tokens + null. Returns ab (B,2,h,w), null weight (B,1,h,w).

        reach > 0 (inference only) lowers a token's logit by reach x its distance to the pixel (in units of the
        long side): a hint then fades with distance even where the pixel looks like the hint's object. dist
        (B,K,h,w), when given, is that distance measured along the photo (`ml/reach.py`) instead of straight.
        penalty (B,K,h,w), when given, replaces both: the logit each token loses at each pixel, per hint (its own
        reach, a per-token null bias, fences; `ml/reach.py` token_terms)."""
        Bsz, _, h, w = h2.shape
        dev = h2.device
        ys = (torch.arange(h, device=dev, dtype=h2.dtype) + 0.5) / h
        xs = (torch.arange(w, device=dev, dtype=h2.dtype) + 0.5) / w
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        L2 = F.interpolate(L, size=(h, w), mode="area") / 50.0 - 1.0
        pos = torch.stack([xx, yy], 0)[None].expand(Bsz, -1, -1, -1)
        q = self.q_proj(torch.cat([h2, L2, pos * 2 - 1], dim=1))  # (B,D,h,w)
        null = self.null(h2) + null_bias  # (B,1,h,w); a positive bias keeps hints more local
        K = tokens.shape[1]
        D = q.shape[1]
        if K == 0:
            wnull = torch.ones_like(null)
            return prior_ab2, wnull
        grid = (tokens[..., :2] * 2 - 1)[:, :, None, :].to(q.dtype)  # (B,K,1,2)
        qk = F.grid_sample(q, grid, mode="bilinear", align_corners=False)[..., 0].permute(0, 2, 1)  # (B,K,D)
        keys = self.k_proj(torch.cat([qk, tokens[..., 2:4].to(q.dtype) / 110.0], dim=-1))  # (B,K,D)
        att = torch.einsum("bdp,bkd->bpk", q.flatten(2), keys) / D**0.5  # (B,P,K)
        if penalty is not None:
            att = att - penalty.to(q.dtype).flatten(2).permute(0, 2, 1)
        elif reach > 0 and dist is not None:
            att = att - reach * dist.to(q.dtype).flatten(2).permute(0, 2, 1)
        elif reach > 0:
            aspect = torch.tensor([w, h], device=dev, dtype=q.dtype) / max(h, w)
            pix = torch.stack([xx, yy], -1).reshape(1, -1, 1, 2) * aspect  # (1,P,1,2)
            tok = tokens[..., :2].to(q.dtype)[:, None] * aspect  # (B,1,K,2)
            att = att - reach * (pix - tok).norm(dim=-1)
        att = att.masked_fill(~tmask[:, None, :], float("-inf"))
        att = torch.cat([null.flatten(2).permute(0, 2, 1), att], dim=2)  # (B,P,1+K)
        wts = att.softmax(dim=2)
        vals = tokens[..., 2:4].to(q.dtype)  # (B,K,2)
        hint_part = torch.einsum("bpk,bkc->bcp", wts[..., 1:], vals).view(Bsz, 2, h, w)
        wnull = wts[..., :1].permute(0, 2, 1).reshape(Bsz, 1, h, w)
        return wnull * prior_ab2 + hint_part, wnull

    def head(
        self, L, taps, pooled, tokens, tmask, ghint, era, situation, g=None, null_bias: float = 0.0,
        hint_hist: bool = True, reach: float = 0.0, dist=None, penalty=None,
    ):  # fmt: skip
        """Everything after the encoder. Returns dict(ab full-res, prior_ab full-res, logits, g, wnull).

        hint_hist=False gives the global vector no histogram of the hint colours, so hints change the prior nowhere
        and act only through the attention (local)."""
        H, W = L.shape[-2:]
        if g is None:
            hm = tmask if hint_hist else torch.zeros_like(tmask)
            g = self.global_vector(
                pooled, ghint, hint_histogram(tokens, hm, self.args.n_bins), era, situation
            )
        h2, ab2, logits = self.prior(L, taps, g)
        prop, wnull = self.propagate(h2, ab2, L, tokens, tmask, null_bias, reach, dist, penalty)
        delta = self.refine(torch.cat([h2, prop / 110.0, ab2 / 110.0, wnull], dim=1))
        out2 = prop + delta * 110.0
        up = dict(size=(H, W), mode="bilinear", align_corners=False)
        return {
            "ab": F.interpolate(out2, **up),
            "prior_ab": F.interpolate(ab2, **up),
            "logits": logits,
            "g": g,
            "wnull": wnull,
        }

    def difficulty(self, f8, g):
        """(B,40,h,w) tile features at 1/8, g (B,gdim) -> (B,) logit that the tile needs its own pass."""
        z = torch.cat([f8.mean(dim=(2, 3)), f8.amax(dim=(2, 3)), g], dim=1)
        return self.dcm(z).squeeze(1)

    def forward(self, L, tokens, tmask, ghint, era, situation):
        taps, pooled = self.encode(L)
        return self.head(L, taps, pooled, tokens, tmask, ghint, era, situation)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
