"""Train the damage detector and the inpainting refiner on synthetic damage, in one process, CPU (one thread).

    OMP_NUM_THREADS=1 python -m ml.repair.train --data ../shared/datasets/train --out runs/repair1 --minutes 65

Read top to bottom:
1. the photos of `--data` whose role is "train" (`ml.repair.data.role`: a fixed hash rule; "val" and "test"
   photos are held out) are decoded once to grayscale uint8 and kept in memory;
2. each step takes `batch` random crops (random scale `scale_min`-`scale_max`, default 1-2.5x: content smoother
   per pixel as in large scans; below 1, sharper as in a downsampled working image; random flips), damages each
   one (`ml.repair.synth.damage`: damaged, clean, exact mask);
3. the detector (`DamageNet`) learns the mask: BCE (positives weighted) + soft Dice;
4. the refiner (`InpaintNet`) learns to correct OpenCV Telea's fill inside the true mask (slightly dilated at
   random, as a curator's brush would be): L1 inside the mask against the clean crop;
5. learning rate: linear warm-up then cosine over the wall-clock budget; the run stops by itself after `minutes`;
6. every `save_every_s` (and at the end) the validation crops (fixed, from "val" photos) are scored: detector F1 at
   2 px tolerance (thresholds 0.3-0.7), refiner vs Telea PSNR inside the mask; the checkpoint OUT/ckpt.pt is a
   plain dict (both state dicts, their args, the config, the chosen threshold, the curve) with its .sha256 sidecar.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..checkpoint import load_checkpoint, sha256_file
from .data import load_gray, photos
from .metrics import f1_from_counts, tolerant_counts
from .net import DamageNet, InpaintNet, UNetArgs, count_params
from .synth import damage

MODEL_NAME = "findcolor-repair"
MODEL_VERSION = "1.0.0"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
CL = torch.channels_last  # measured: a training step of both networks 0.41 -> 0.29 s on one thread


@dataclass
class TrainConfig:
    data: str = "../shared/datasets/train"
    out: str = "runs/repair"
    minutes: float = 65.0
    max_steps: int = 0  # 0: until the time budget ends
    threads: int = 1
    seed: int = 0
    crop: int = 128
    batch: int = 8
    # crops are resized by a log-uniform factor in [scale_min, scale_max]: < 1 sharpens the content per pixel (as
    # in a downsampled working image), > 1 smooths it (as in a large scan)
    scale_min: float = 1.0
    scale_max: float = 2.5
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    pos_weight: float = 3.0
    w_dice: float = 1.0
    inpaint_every: int = 2  # train the refiner every N steps (0: never)
    telea_radius: int = 3
    save_every_s: float = 300.0
    log_every: int = 25
    val_crops: int = 64
    max_photos: int = 0  # 0: all train photos (tests use a few)
    init: str | None = None  # start from this checkpoint's weights (fresh optimizer and schedule)
    detector: dict = field(default_factory=lambda: UNetArgs(1, (8, 16, 32, 64, 96)).to_dict())
    inpainter: dict = field(default_factory=lambda: UNetArgs(3, (8, 16, 32, 64)).to_dict())


# ------------------------------------------------------------------------------------------------ data
def random_crop(img: np.ndarray, S: int, rng: np.random.Generator, smin: float, smax: float) -> np.ndarray:
    """A random S x S crop of a uint8 photo at a random scale in [smin, smax] (log-uniform; flipped half the time)
    -> float32 [0,1]."""
    H, W = img.shape
    s = float(np.exp(rng.uniform(math.log(smin), math.log(smax))))
    s = max(s, S / min(H, W))  # small photos are enlarged to fit the crop
    h, w = int(math.ceil(S / s)), int(math.ceil(S / s))
    y, x = int(rng.integers(0, H - h + 1)), int(rng.integers(0, W - w + 1))
    c = cv2.resize(
        img[y : y + h, x : x + w], (S, S), interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA
    )
    if rng.random() < 0.5:
        c = c[:, ::-1]
    if rng.random() < 0.5:
        c = c[::-1]
    return np.ascontiguousarray(c, dtype=np.float32) / 255.0


def telea(gray: np.ndarray, mask: np.ndarray, radius: int = 3) -> np.ndarray:
    """OpenCV Telea fill. gray (H,W) float32 [0,1], mask (H,W) bool -> (H,W) float32 (unchanged outside mask)."""
    g16 = np.round(np.clip(gray, 0, 1) * 65535).astype(np.uint16)  # OpenCV's float32 Telea is unreliable
    out = cv2.inpaint(g16, mask.astype(np.uint8), radius, cv2.INPAINT_TELEA).astype(np.float32) / 65535
    return np.where(mask, out, gray).astype(np.float32)


def make_batch(imgs: list[np.ndarray], cfg: TrainConfig, rng: np.random.Generator, with_fill: bool):
    """Damaged, clean, mask (B,1,S,S) tensors; with_fill adds the refiner's mask (dilated) and Telea fill."""
    dmg, cln, msk, rmask, fill = [], [], [], [], []
    for _ in range(cfg.batch):
        g = random_crop(imgs[int(rng.integers(len(imgs)))], cfg.crop, rng, cfg.scale_min, cfg.scale_max)
        d, c, m = damage(g, rng)
        dmg.append(d)
        cln.append(c)
        msk.append(m)
        if with_fill:
            r = int(rng.integers(0, 3))  # the repaired mask may be up to 2 px wider than the damage
            rm = cv2.dilate(m.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0 if r else m
            rmask.append(rm)
            fill.append(telea(d, rm, cfg.telea_radius))

    def t(a):  # channels-last, like the networks (oneDNN's native layout on CPU)
        return torch.from_numpy(np.stack(a).astype(np.float32))[:, None].contiguous(memory_format=CL)

    out = {"damaged": t(dmg), "clean": t(cln), "mask": t(msk)}
    if with_fill:
        out.update(rmask=t(rmask), fill=t(fill))
    return out


def validation_set(cfg: TrainConfig) -> list[dict]:
    """Fixed validation crops from the 'val' photos (seeded): a list of single-crop batches."""
    files = photos(cfg.data, "val") or photos(cfg.data, "train")[:8]  # a tiny folder may hold no "val" photo
    rng = np.random.default_rng(1234)
    vcfg = TrainConfig(**{**asdict(cfg), "batch": 1})
    imgs = [load_gray(f) for f in files]
    return [make_batch([imgs[i % len(imgs)]], vcfg, rng, True) for i in range(cfg.val_crops)]


# ------------------------------------------------------------------------------------------------ losses
def detector_loss(logits: torch.Tensor, mask: torch.Tensor, cfg: TrainConfig) -> torch.Tensor:
    pw = torch.tensor(cfg.pos_weight)
    bce = F.binary_cross_entropy_with_logits(logits, mask, pos_weight=pw)
    p = torch.sigmoid(logits)
    inter = (p * mask).sum()
    dice = 1 - (2 * inter + 1) / (p.sum() + mask.sum() + 1)
    return bce + cfg.w_dice * dice


def inpaint_loss(net: InpaintNet, b: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """L1 inside the repair mask of (fill + correction) against the clean crop. Returns (loss, repaired)."""
    m = b["rmask"]
    out = (b["fill"] + net(b["fill"], m, b["damaged"]) * m).clamp(0, 1)
    loss = ((out - b["clean"]).abs() * m).sum() / m.sum().clamp(min=1)
    return loss, out


# ------------------------------------------------------------------------------------------------ eval
@torch.no_grad()
def evaluate(det: DamageNet, inp: InpaintNet | None, val: list[dict]) -> dict:
    """Detector F1 (2 px) per threshold, and PSNR inside the mask: Telea, refined."""
    det.eval()
    counts = {t: np.zeros(4, np.int64) for t in THRESHOLDS}
    se_t = se_r = n = 0.0
    for b in val:
        p = torch.sigmoid(det(b["damaged"]))[0, 0].numpy()
        true = b["mask"][0, 0].numpy() > 0.5
        for t in THRESHOLDS:
            counts[t] += tolerant_counts(p > t, true)
        m = b["rmask"][0, 0].numpy() > 0.5
        if inp is not None and m.any():
            inp.eval()
            _, out = inpaint_loss(inp, b)
            c = b["clean"][0, 0].numpy()
            se_t += float(((b["fill"][0, 0].numpy() - c)[m] ** 2).sum())
            se_r += float(((out[0, 0].numpy() - c)[m] ** 2).sum())
            n += int(m.sum())
            inp.train()
    det.train()
    f1 = {t: f1_from_counts(*counts[t])[0] for t in THRESHOLDS}
    best = max(f1, key=f1.get)
    res = {
        "f1": {str(t): round(v, 4) for t, v in f1.items()},
        "threshold": best,
        "best_f1": round(f1[best], 4),
    }
    if n:
        res["psnr_telea"] = round(10 * math.log10(n / max(se_t, 1e-12)), 3)
        res["psnr_refined"] = round(10 * math.log10(n / max(se_r, 1e-12)), 3)
    return res


# ------------------------------------------------------------------------------------------------ checkpoint
def save_checkpoint(path: Path, det, inp, cfg: TrainConfig, curve: list, step: int, elapsed: float) -> str:
    """Write the checkpoint dict and its .sha256 sidecar atomically. Returns the digest."""
    last = curve[-1] if curve else {}
    use_refiner = bool(inp is not None and last.get("psnr_refined", -1) > last.get("psnr_telea", 0))
    ck = {
        "model_name": MODEL_NAME,
        "model_version": MODEL_VERSION,
        "model_args": {"detector": cfg.detector, "inpainter": cfg.inpainter},
        "model": {
            "detector": det.state_dict(),
            **({"inpainter": inp.state_dict()} if inp is not None else {}),
        },
        "config": asdict(cfg),
        "threshold": float(last.get("threshold", 0.5)),
        "use_refiner": use_refiner,
        "curve": json.dumps(curve),
        "step": step,
        "elapsed_s": round(elapsed, 1),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(ck, tmp)
    os.replace(tmp, path)
    digest = sha256_file(path)
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")
    return digest


# ------------------------------------------------------------------------------------------------ main loop
def train(cfg: TrainConfig, log=print) -> Path:
    torch.set_num_threads(cfg.threads)
    cv2.setNumThreads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))

    files = photos(cfg.data, "train")
    if cfg.max_photos:
        files = files[: cfg.max_photos]
    t0 = time.time()
    imgs = [load_gray(f) for f in files]
    log(f"{len(imgs)} train photos decoded in {time.time() - t0:.0f}s")
    val = validation_set(cfg)

    det = DamageNet(UNetArgs.from_dict(cfg.detector))
    inp = InpaintNet(UNetArgs.from_dict(cfg.inpainter)) if cfg.inpaint_every else None
    if cfg.init:
        ck, _ = load_checkpoint(cfg.init)
        det.load_state_dict(ck["model"]["detector"])
        if inp is not None and "inpainter" in ck["model"]:
            inp.load_state_dict(ck["model"]["inpainter"])
        log(f"initialised from {cfg.init} (step {ck.get('step')})")
    det = det.to(memory_format=CL)
    inp = inp.to(memory_format=CL) if inp is not None else None
    params = list(det.parameters()) + (list(inp.parameters()) if inp is not None else [])
    log(f"detector {count_params(det)} params, refiner {count_params(inp) if inp is not None else 0} params")
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    budget = cfg.minutes * 60
    start = last_save = time.time()
    curve: list[dict] = []
    step = 0
    last_i = 0.0
    ckpt = out / "ckpt.pt"
    while True:
        elapsed = time.time() - start
        done = elapsed >= budget or (cfg.max_steps and step >= cfg.max_steps)
        if done or time.time() - last_save >= cfg.save_every_s:
            ev = evaluate(det, inp, val)
            curve.append({"step": step, "elapsed_s": round(elapsed), **ev})
            save_checkpoint(ckpt, det, inp, cfg, curve, step, elapsed)
            log(f"eval step {step} {json.dumps(ev)}")
            last_save = time.time()
        if done:
            break
        frac = min(elapsed / budget, 1.0) if not cfg.max_steps else step / cfg.max_steps
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        with_fill = inp is not None and step % cfg.inpaint_every == 0
        b = make_batch(imgs, cfg, rng, with_fill)
        loss_d = detector_loss(det(b["damaged"]), b["mask"], cfg)
        loss = loss_d
        if with_fill:
            loss_i, _ = inpaint_loss(inp, b)
            loss = loss + 10 * loss_i
            last_i = loss_i.item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        for net in (det, inp):  # clipped apart: one net's large gradients must not shrink the other's
            if net is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        if step % cfg.log_every == 0:
            log(
                f"step {step} t {elapsed:.0f}s lr {lr:.2e} det {loss_d.item():.4f} inp {last_i:.4f} "
                f"{(time.time() - start) / step:.2f}s/step"
            )
    return ckpt


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = TrainConfig()
    opts = "data out minutes max_steps threads seed batch crop lr max_photos scale_min scale_max"
    for k in opts.split():
        p.add_argument("--" + k.replace("_", "-"), type=type(getattr(d, k)), default=getattr(d, k))
    p.add_argument("--inpaint-every", type=int, default=d.inpaint_every)
    p.add_argument("--save-every-s", type=float, default=d.save_every_s)
    p.add_argument("--val-crops", type=int, default=d.val_crops)
    p.add_argument("--log-every", type=int, default=d.log_every)
    p.add_argument(
        "--init", default=None, help="start from this checkpoint's weights (fresh optimizer, schedule)"
    )
    p.add_argument("--warmup", type=int, default=d.warmup)
    a = p.parse_args(argv)
    cfg = TrainConfig(**{k: v for k, v in vars(a).items()})

    def log(msg):
        print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)

    path = train(cfg, log)
    log(f"saved {path}")


if __name__ == "__main__":
    main()
