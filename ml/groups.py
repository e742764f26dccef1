"""Collections of training photos, for learning and measuring context adaptation (issue 24).

The platform adapts to a *collection*: photos of one kind (one archive's street scenes, one studio's portraits).
At run time the network's global hint is then a profile built from *other* photos of that collection
(`ml.adapt`), never from the photo being coloured. So training must show it such profiles too, not only the
crop's own histogram or one of the same photo.

Training photos have no collection labels, and their folders are too broad (one ImageNet photo per class) or
near-duplicates (CamVid frames). So a collection here is a k-means cluster of the frozen encoder's pooled
features (1280-d, L only, 128 px), inside one folder: photos that look alike semantically, from one source.

    groups = build_groups(imgs, names)          # imgs (N,3,S,S) uint8 RGB; names "folder/file.jpg"
    gh = groups.profile_hints(idx, gen)         # (B,Q+2): for each photo, the profile of 4-16 others of its group

A fixed tenth of the photos (`photo_role(name) == "bench"`, by SHA-1 of the name) is kept out of adaptation
training, so `bench/ml_adapt.py` measures adaptation on photos the adaptation training never saw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import torch
import torch.nn.functional as F

from . import bins as B
from .color import torch_rgb_to_lab


def short_name(path: str) -> str:
    """'folder/file.jpg' of a photo path (its identity whatever the data folder's location)."""
    p = PurePath(str(path).replace("\\", "/"))
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def photo_role(path: str) -> str:
    """'bench' for a fixed tenth of photos (held out of adaptation training and used by bench/ml_adapt.py)."""
    h = int(hashlib.sha1(short_name(path).encode("utf-8")).hexdigest(), 16)
    return "bench" if h % 10 == 3 else "train"


def folder_of(path: str) -> str:
    """The folder that holds the photo ('.../train/people/0001.jpg' -> 'people'); '' when it has none."""
    return PurePath(str(path).replace("\\", "/")).parent.name


@torch.no_grad()
def photo_hints(imgs: torch.Tensor, side: int = 64, batch: int = 256) -> torch.Tensor:
    """Per-photo global hints (N,Q+2) float32: ab histogram at `side` px, mean chroma / 100, given flag 1.

    The same quantities as `ml.profiles.build_profile` (which averages them over photos), computed on the cache.
    """
    out = []
    for s in range(0, len(imgs), batch):
        x = F.interpolate(imgs[s : s + batch].float() / 255.0, size=(side, side), mode="area")
        ab = torch_rgb_to_lab(x)[:, 1:]
        hist = B.torch_histogram(ab)
        sat = ab.norm(dim=1).mean(dim=(1, 2)) / 100.0
        out.append(torch.cat([hist, sat[:, None], torch.ones_like(sat)[:, None]], dim=1))
    return torch.cat(out).float()


@torch.no_grad()
def encoder_features(imgs: torch.Tensor, encoder, side: int = 128, batch: int = 64) -> np.ndarray:
    """Pooled 1280-d features of the frozen encoder on each photo's lightness; (N,1280) float32, unit norm."""
    feats = []
    encoder.eval()
    for s in range(0, len(imgs), batch):
        x = F.interpolate(imgs[s : s + batch].float() / 255.0, size=(side, side), mode="area")
        L = torch_rgb_to_lab(x)[:, :1]
        _, pooled = encoder.features(encoder.prepare(L), head=True)
        feats.append(F.normalize(pooled.float(), dim=1).cpu().numpy())
    return np.concatenate(feats).astype(np.float32)


def kmeans(x: np.ndarray, k: int, iters: int = 25, seed: int = 0) -> np.ndarray:
    """Plain k-means (k-means++ start) on rows of x (N,D); returns labels (N,) int64 in [0, k)."""
    n = len(x)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(n)]]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else None
        centres.append(x[rng.choice(n, p=p)])
        d2 = np.minimum(d2, ((x - centres[-1]) ** 2).sum(1))
    C = np.stack(centres)
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iters):
        dist = (x**2).sum(1)[:, None] - 2 * x @ C.T + (C**2).sum(1)[None]
        labels = dist.argmin(1)
        for j in range(k):
            m = labels == j
            if m.any():
                C[j] = x[m].mean(0)
    return labels


@dataclass
class Groups:
    """Group labels of N photos and their own global hints. labels (N,) int64; hints (N,Q+2) float32."""

    labels: torch.Tensor
    hints: torch.Tensor

    def __post_init__(self):
        self.members = {}
        for g in torch.unique(self.labels).tolist():
            self.members[g] = torch.nonzero(self.labels == g).flatten()

    def subset(self, idx: torch.Tensor) -> Groups:
        """The groups of photos idx (e.g. the training split), re-indexed 0..len(idx)-1."""
        return Groups(self.labels[idx], self.hints[idx])

    def profile_hints(
        self, idx: torch.Tensor, gen: torch.Generator, lo: int = 4, hi: int = 16
    ) -> torch.Tensor:
        """For each photo of idx (B,), the profile (B,Q+2) of lo..hi *other* random photos of its group.

        The profile is built as `ml.profiles.build_profile` builds it: mean histogram, mean saturation, flag 1.
        A photo alone in its group gets its own hint (rare: groups are clusters of dozens of photos).
        """
        rows = []
        for i in idx.tolist():
            mem = self.members[int(self.labels[i])]
            others = mem[mem != i]
            if len(others) == 0:
                rows.append(self.hints[i])
                continue
            m = int(torch.randint(lo, hi + 1, (1,), generator=gen))
            pick = others[torch.randperm(len(others), generator=gen)[: min(m, len(others))]]
            rows.append(self.hints[pick].mean(0))
        return torch.stack(rows)


def build_groups(
    imgs: torch.Tensor, names: list[str], encoder, per_cluster: int = 60, seed: int = 0, log=print
) -> Groups:
    """Cluster photos into collections: k-means of encoder features inside each folder (~per_cluster photos each)."""
    feats = encoder_features(imgs, encoder)
    labels = np.zeros(len(imgs), dtype=np.int64)
    nxt = 0
    folders = sorted({folder_of(n) for n in names})
    for f in folders:
        ix = np.array([i for i, n in enumerate(names) if folder_of(n) == f])
        k = max(1, round(len(ix) / per_cluster))
        lab = kmeans(feats[ix], k, seed=seed)
        labels[ix] = lab + nxt
        nxt += k
        log(f"groups: {f or '.'} {len(ix)} photos -> {k} clusters")
    return Groups(torch.from_numpy(labels), photo_hints(imgs))


def training_groups(imgs: torch.Tensor, names: list[str], tidx: torch.Tensor, encoder, log=print):
    """For `ml.train`: the training split without the 'bench' photos, and the groups of what is left.

    Groups are built over all photos (so a cluster is the same whatever the split), then restricted to tidx.
    Returns (tidx without bench photos, Groups re-indexed like imgs[tidx])."""
    groups = build_groups(imgs, names, encoder, log=log)
    keep = torch.tensor([photo_role(names[i]) != "bench" for i in tidx.tolist()], dtype=torch.bool)
    tidx = tidx[keep]
    log(f"groups: {int((~keep).sum())} bench photos held out, {len(tidx)} train")
    return tidx, groups.subset(tidx)
