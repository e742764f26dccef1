"""Synthetic archival degradation of the input lightness: film grain, blur, fading, scratches, uneven exposure.

Applied during training to the network's L input only (the target chroma stays clean), so the model learns to
colorize damaged scans.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _gauss_kernel(sigma: float) -> torch.Tensor:
    r = max(int(math.ceil(3 * sigma)), 1)
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


def blur(L: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur. L: (B,1,H,W) any range. Returns (B,1,H,W) same range."""
    k = _gauss_kernel(sigma).to(L.device, L.dtype)
    r = len(k) // 2
    x = F.pad(L, (r, r, 0, 0), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    x = F.pad(x, (0, 0, r, r), mode="replicate")
    return F.conv2d(x, k.view(1, 1, -1, 1))


def degrade(L: torch.Tensor, gen: torch.Generator | None = None, p: float = 0.5) -> torch.Tensor:
    """Randomly degrade a batch of lightness maps. L: (B,1,H,W), L in [0,100]. Returns (B,1,H,W) in [0,100].

    Each image is degraded with probability p; each effect then applies with its own probability.
    """
    out = L.clone()
    B, _, H, W = L.shape

    def u(lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand((), generator=gen).item()

    for i in range(B):
        if u() > p:
            continue
        x = out[i : i + 1]
        if u() < 0.5:  # fading: lower contrast towards a mid grey, lifted blacks
            c, m = u(0.55, 0.95), u(35, 70)
            x = m + c * (x - m)
        if u() < 0.4:  # uneven exposure: a smooth multiplicative field
            field = torch.rand(1, 1, 3, 3, generator=gen).to(x) * 2 - 1
            field = F.interpolate(field, size=(H, W), mode="bicubic", align_corners=True)
            x = x * (1 + u(0.05, 0.3) * field)
        if u() < 0.4:  # lens / print blur
            x = blur(x, u(0.4, 1.5))
        if u() < 0.5:  # film grain: correlated noise
            n = torch.randn(x.shape, generator=gen).to(x) * u(1.0, 6.0)
            if u() < 0.5:
                n = blur(n, u(0.5, 1.0)) * 1.8
            x = x + n
        if u() < 0.25:  # scratches: a few thin bright or dark lines
            yy = torch.arange(H, dtype=x.dtype).view(H, 1)
            xx = torch.arange(W, dtype=x.dtype).view(1, W)
            for _ in range(int(u(1, 4))):
                th = u(0, math.pi)
                r0 = u(-0.5, 0.5) * min(H, W) * 0.8
                d = (xx - W / 2) * math.cos(th) + (yy - H / 2) * math.sin(th) - r0
                line = (d.abs() < u(0.4, 1.2)).to(x.dtype)
                x = x * (1 - line) + line * (u(85, 100) if u() < 0.7 else u(0, 15))
        out[i : i + 1] = x.clamp(0, 100)
    return out
