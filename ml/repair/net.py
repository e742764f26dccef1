"""Two compact U-Nets: the damage detector and the inpainting refiner.

Both take full-resolution grayscale in [0,1] and keep the first level at full resolution (a 1-px scratch must
survive), then halve the resolution at each level. Sizes are a few hundred thousand parameters (< 2 MB each).

- `DamageNet`: input (B,1,H,W) gray in [0,1] -> logits (B,1,H,W); sigmoid gives P(damaged).
- `InpaintNet`: input (B,3,H,W) = (classical fill in [0,1], mask in {0,1}, the damaged gray in [0,1]) -> a
  correction (B,1,H,W) added to the fill inside the mask only (the composite is done by the caller). It sees the
  damaged pixels under the mask too: a stain or a faint scratch still carries the photo underneath.
H and W need not be multiples of anything (features are resized to the skip connection's size).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetArgs:
    in_ch: int = 1
    widths: tuple[int, ...] = (8, 16, 32, 64, 96)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> UNetArgs:
        return cls(in_ch=int(d["in_ch"]), widths=tuple(int(w) for w in d["widths"]))


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.LeakyReLU(0.1, inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.LeakyReLU(0.1, inplace=True),
    )


class UNet(nn.Module):
    """Encoder levels widths[0..n-1] (level k at 1/2^k resolution), decoder back to full resolution, 1 output."""

    def __init__(self, args: UNetArgs):
        super().__init__()
        self.args = args
        w = args.widths
        self.enc = nn.ModuleList([_block(args.in_ch if i == 0 else w[i - 1], w[i]) for i in range(len(w))])
        self.dec = nn.ModuleList([_block(w[i] + w[i + 1], w[i]) for i in range(len(w) - 1)])
        self.head = nn.Conv2d(w[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, blk in enumerate(self.enc):
            if i > 0:
                x = F.max_pool2d(x, 2, ceil_mode=True)
            x = blk(x)
            skips.append(x)
        for i in range(len(self.dec) - 1, -1, -1):
            s = skips[i]
            x = F.interpolate(x, size=s.shape[-2:], mode="bilinear", align_corners=False)
            x = self.dec[i](torch.cat([s, x], 1))
        return self.head(x)


class DamageNet(UNet):
    """(B,1,H,W) gray in [0,1] -> (B,1,H,W) damage logits."""

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        return super().forward((gray - 0.5) * 4.0)


class InpaintNet(UNet):
    """(fill, mask, damaged) each (B,1,H,W) in [0,1] -> (B,1,H,W) correction of the fill (gray units)."""

    def forward(self, fill: torch.Tensor, mask: torch.Tensor, damaged: torch.Tensor) -> torch.Tensor:
        x = torch.cat([(fill - 0.5) * 4.0, mask * 2.0 - 1.0, (damaged - 0.5) * 4.0], 1)
        return super().forward(x) * 0.25


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
