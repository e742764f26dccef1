"""The Find Color network: a small U-Net that predicts Lab chroma from lightness, user hints and a global vector.

Inputs (all at the working resolution, H and W multiples of 16):
  L            (B,1,H,W)  lightness normalized to [-1,1]
  hint_ab      (B,2,H,W)  local hint chroma normalized to about [-1,1] (0 where no hint)
  hint_mask    (B,1,H,W)  1 where a local hint is given, else 0
  ghint        (B,Q+2)    global hint: ab histogram over the Q bins (sums to 1), mean saturation, "given" flag
  era, situation (B,)     context ids, 0 = "unknown"
Outputs: the regression ab (B,2,H,W) in Lab units, bin logits (B,Q,H/4,W/4), a light (early-exit) ab (B,2,H,W)
and the difficulty logit (B,) of the DCM.

Layout, top to bottom: encoder (4 stride-2 stages) -> global vector g (global hint + context embeddings + pooled
image features) -> bottleneck with FiLM and a DRConv-style region-adaptive convolution whose per-region filters are
generated from g -> decoder with skips -> two heads. The light head and difficulty classifier (DCM) read the
1/4-resolution encoder features, so an easy tile can stop there (ClassSR / adaptive patch exiting).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelArgs:
    widths: tuple[int, int, int, int] = (16, 32, 64, 128)
    n_bins: int = 262  # len(ml.bins.ab_bins())
    n_regions: int = 4  # DRConv regions
    gdim: int = 128  # global vector size
    emb_dim: int = 8
    n_eras: int = 16
    n_situations: int = 16

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelArgs:
        d = dict(d)
        d["widths"] = tuple(d["widths"])
        return cls(**d)


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class Down(nn.Module):
    """Stride-2 conv then a 3x3 conv: (B,cin,H,W) -> (B,cout,H/2,W/2)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.a = conv_bn(cin, cout, 3, 2)
        self.b = conv_bn(cout, cout, 3, 1)

    def forward(self, x):
        x = self.a(x)
        return x + self.b(x)


class Up(nn.Module):
    """Bilinear x2, concat the skip, 1x1 merge, 3x3 conv: (B,cin,h,w) + (B,cskip,2h,2w) -> (B,cout,2h,2w)."""

    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.merge = conv_bn(cin + cskip, cout, 1)
        self.conv = conv_bn(cout, cout, 3)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self.merge(torch.cat([x, skip], dim=1))
        return x + self.conv(x)


class RegionConv(nn.Module):
    """DRConv-style region-adaptive convolution, filters conditioned on the global vector g.

    A 1x1 guide conv assigns every position to one of m regions (hard one-hot in the forward pass, softmax
    gradient in the backward pass, as in DRConv). Each region has its own depthwise 3x3 filter, generated per
    image from g, followed by a shared pointwise conv. x: (B,C,h,w), g: (B,gdim) -> (B,C,h,w).
    """

    def __init__(self, C: int, gdim: int, m: int):
        super().__init__()
        self.C, self.m = C, m
        self.guide = nn.Conv2d(C, m, 1)
        self.gen = nn.Linear(gdim, m * C * 9)
        self.base = nn.Parameter(torch.randn(m, C, 1, 3, 3) * 0.1)
        self.point = conv_bn(C, C, 1)

    def forward(self, x, g):
        B, C, h, w = x.shape
        soft = F.softmax(self.guide(x), dim=1)  # (B,m,h,w)
        hard = F.one_hot(soft.argmax(dim=1), self.m).permute(0, 3, 1, 2).to(x.dtype)
        mask = hard + soft - soft.detach()
        kern = self.base.unsqueeze(0) + 0.1 * self.gen(g).view(B, self.m, C, 1, 3, 3)  # (B,m,C,1,3,3)
        kern = kern.permute(0, 2, 1, 3, 4, 5).reshape(B * C * self.m, 1, 3, 3)  # group (b,c) -> m outputs
        y = F.conv2d(x.reshape(1, B * C, h, w), kern, padding=1, groups=B * C).view(B, C, self.m, h, w)
        y = (y * mask.unsqueeze(1)).sum(dim=2)
        return x + self.point(y)


class FindColorNet(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        c1, c2, c3, c4 = args.widths
        Q = args.n_bins
        # encoder
        self.stem = nn.Sequential(conv_bn(4, c1, 3, 2), conv_bn(c1, c1, 3))  # 1/2
        self.down2 = Down(c1, c2)  # 1/4
        self.down3 = Down(c2, c3)  # 1/8
        self.down4 = Down(c3, c4)  # 1/16
        # global vector: global hint + context + pooled image features
        self.ghint_mlp = nn.Sequential(nn.Linear(Q + 2, 64), nn.ReLU(inplace=True))
        self.era_emb = nn.Embedding(args.n_eras, args.emb_dim)
        self.sit_emb = nn.Embedding(args.n_situations, args.emb_dim)
        self.gfc = nn.Sequential(nn.Linear(64 + 2 * args.emb_dim + c4, args.gdim), nn.ReLU(inplace=True))
        # bottleneck
        self.film = nn.Linear(args.gdim, 2 * c4)
        self.region = RegionConv(c4, args.gdim, args.n_regions)
        self.mid = conv_bn(c4, c4, 3)
        # decoder
        self.up3 = Up(c4, c3, c3)
        self.up2 = Up(c3, c2, c2)
        self.up1 = Up(c2, c1, c1)
        self.head_ab = nn.Conv2d(c1, 2, 3, padding=1)
        self.head_bins = nn.Conv2d(c2, Q, 1)
        # light head + difficulty classifier (DCM) on the 1/4 features
        self.light_film = nn.Linear(args.gdim, 2 * c2)
        self.light = nn.Sequential(conv_bn(c2, c2, 3), nn.Conv2d(c2, 2, 1))
        self.dcm = nn.Sequential(nn.Conv2d(c2, 16, 3, 2, 1), nn.ReLU(inplace=True))
        self.dcm_fc = nn.Linear(32, 1)

    # -- pieces, so inference can run them separately (tiles, early exit) --
    def encode_shallow(self, L, hint_ab, hint_mask):
        """(B,1,H,W),(B,2,H,W),(B,1,H,W) normalized -> features at 1/2 (B,c1,H/2,W/2) and 1/4 (B,c2,H/4,W/4)."""
        e1 = self.stem(torch.cat([L, hint_ab, hint_mask], dim=1))
        return e1, self.down2(e1)

    def encode_deep(self, e2):
        """(B,c2,H/4,W/4) -> 1/8 features (B,c3,..) and 1/16 features (B,c4,H/16,W/16)."""
        e3 = self.down3(e2)
        return e3, self.down4(e3)

    def global_vector(self, gfeat, ghint, era, situation):
        """gfeat (B,c4) pooled image features, ghint (B,Q+2), era/situation (B,) long -> g (B,gdim)."""
        z = torch.cat([self.ghint_mlp(ghint), self.era_emb(era), self.sit_emb(situation), gfeat], dim=1)
        return self.gfc(z)

    def difficulty(self, e2):
        """(B,c2,H/4,W/4) -> (B,) logit that the tile is hard (needs the full network)."""
        z = self.dcm(e2)
        return self.dcm_fc(torch.cat([z.mean(dim=(2, 3)), z.amax(dim=(2, 3))], dim=1)).squeeze(1)

    def light_head(self, e2, g, size):
        """Early-exit chroma. e2 (B,c2,h,w), g (B,gdim) -> ab (B,2,*size) in Lab units."""
        gam, bet = self.light_film(g).chunk(2, dim=1)
        x = e2 * (1 + gam[:, :, None, None]) + bet[:, :, None, None]
        ab = self.light(x) * 110.0
        return F.interpolate(ab, size=size, mode="bilinear", align_corners=False)

    def deep_head(self, e1, e2, e3, e4, g, size):
        """Full decoder. Returns ab (B,2,*size) in Lab units and bin logits (B,Q,h/4-res)."""
        gam, bet = self.film(g).chunk(2, dim=1)
        x = e4 * (1 + gam[:, :, None, None]) + bet[:, :, None, None]
        x = self.region(x, g)
        x = x + self.mid(x)
        x = self.up3(x, e3)
        d2 = self.up2(x, e2)
        d1 = self.up1(d2, e1)
        ab = F.interpolate(self.head_ab(d1) * 110.0, size=size, mode="bilinear", align_corners=False)
        return ab, self.head_bins(d2)

    def forward(self, L, hint_ab, hint_mask, ghint, era, situation, gfeat=None):
        """Full forward. See the module docstring for shapes. gfeat (B,c4) overrides the pooled image features
        (tiles of a big scan pass the features of the whole downscaled image). Returns a dict of outputs."""
        size = L.shape[-2:]
        e1, e2 = self.encode_shallow(L, hint_ab, hint_mask)
        e3, e4 = self.encode_deep(e2)
        if gfeat is None:
            gfeat = e4.mean(dim=(2, 3))
        g = self.global_vector(gfeat, ghint, era, situation)
        ab, logits = self.deep_head(e1, e2, e3, e4, g, size)
        return {
            "ab": ab,
            "logits": logits,
            "ab_light": self.light_head(e2, g, size),
            "hard_logit": self.difficulty(e2),
            "gfeat": gfeat,
        }


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
