"""Train the Find Color network on a folder of colour photos (CPU or CUDA).

    python -m ml.train --data ../shared/datasets/train --out runs/NAME [--labels CSV] [--resume] [--minutes N]

Each step: random crops + flips -> Lab; the input L is degraded (grain, blur, fading, scratches, exposure);
local hints simulated as in Zhang et al. 2017; a global hint (ab histogram + saturation) taken from the crop
itself, from another crop of the same photo (reference mode) or withheld; loss = class-rebalanced cross-entropy
on the ab bins + smooth-L1 on ab + the light (early-exit) head + the difficulty classifier.
Checkpoints are plain dicts {model_args, config, model, optimizer, step, prior, weights, ...} in OUT/ckpt.pt.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import bins as B
from .color import normalize_ab, normalize_l, torch_rgb_to_lab
from .context import ERAS, SITUATIONS
from .data import CropDataset, list_images, read_labels
from .degrade import degrade
from .hints import simulate_hints
from .model import FindColorNet, ModelArgs, count_params

MODEL_NAME = "findcolor-unet-drconv"


@dataclass
class TrainConfig:
    data: str = "../shared/datasets/train"
    out: str = "runs/default"
    labels: str | None = None
    device: str = "cpu"
    crop: int = 128
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    minutes: float = 60.0
    max_steps: int = 0  # 0 = limited by minutes only
    threads: int = 2
    seed: int = 0
    p_degrade: float = 0.5
    p_global_withheld: float = 0.5
    p_global_reference: float = 0.4  # of the given global hints, share from another crop (reference mode)
    p_context_drop: float = 0.3
    w_ce: float = 0.5
    w_reg: float = 0.2
    w_light: float = 0.05
    w_dcm: float = 0.1
    dcm_margin: float = 1.0  # a sample is "hard" if light-head error exceeds the full one by this (Lab units)
    prior_images: int = 400
    save_every_s: float = 300.0
    log_every: int = 20
    val_images: int = 48
    model: dict = field(default_factory=lambda: ModelArgs().to_dict())


def global_hint(ab: torch.Tensor, given: torch.Tensor) -> torch.Tensor:
    """Global hint vector. ab: (B,2,H,W) Lab units; given: (B,) bool. Returns (B,Q+2): histogram, mean saturation/100,
    given flag (rows of withheld samples are all zero)."""
    hist = B.torch_histogram(ab)
    sat = ab.norm(dim=1).mean(dim=(1, 2)) / 100.0
    g = torch.cat([hist, sat[:, None], torch.ones_like(sat)[:, None]], dim=1)
    return g * given[:, None].to(g.dtype)


def compute_prior(files, n: int, seed: int) -> np.ndarray:
    """Empirical ab-bin frequencies of (up to) n training images, downscaled to 64 px. Returns (Q,)."""
    from PIL import Image

    from .color import rgb_to_lab

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(files), size=min(n, len(files)), replace=False)
    abs_ = []
    for i in pick:
        with Image.open(files[i]) as im:
            im = im.convert("RGB")
            im.thumbnail((64, 64))
            abs_.append(rgb_to_lab(np.asarray(im))[..., 1:])
    return B.empirical_prior(abs_)


def make_batch(rgb, ref, era, sit, cfg: TrainConfig, rng: np.random.Generator, gen: torch.Generator):
    """Turn a batch of crops into network inputs and targets. rgb/ref: (B,3,S,S) in [0,1]."""
    lab = torch_rgb_to_lab(rgb)
    L, ab = lab[:, :1], lab[:, 1:]
    Lin = degrade(L, gen, cfg.p_degrade)
    hab, hmask = [], []
    abn = ab.numpy()
    for i in range(len(ab)):
        h, m = simulate_hints(abn[i], rng)
        hab.append(h)
        hmask.append(m)
    hab = torch.from_numpy(np.stack(hab))
    hmask = torch.from_numpy(np.stack(hmask))
    n = len(ab)
    given = torch.rand(n, generator=gen) >= cfg.p_global_withheld
    use_ref = torch.rand(n, generator=gen) < cfg.p_global_reference
    ab_ref = torch_rgb_to_lab(ref)[:, 1:]
    src = torch.where(use_ref[:, None, None, None], ab_ref, ab)
    gh = global_hint(src, given)
    drop = torch.rand(n, generator=gen) < cfg.p_context_drop
    era = torch.where(drop, torch.zeros_like(era), era)
    sit = torch.where(drop, torch.zeros_like(sit), sit)
    return {
        "L": normalize_l(Lin), "hint_ab": normalize_ab(hab) * hmask, "hint_mask": hmask,
        "ghint": gh, "era": era, "situation": sit, "ab": ab,
    }  # fmt: skip


def compute_loss(model, batch, cfg: TrainConfig, ce_weights: torch.Tensor):
    """All losses for one batch. Returns (total loss tensor, dict of floats)."""
    out = model(
        batch["L"], batch["hint_ab"], batch["hint_mask"], batch["ghint"], batch["era"], batch["situation"]
    )
    ab = batch["ab"]
    reg = F.smooth_l1_loss(out["ab"], ab, beta=1.0)
    light_err = F.smooth_l1_loss(out["ab_light"], ab, beta=1.0, reduction="none").mean(dim=(1, 2, 3))
    full_err = F.smooth_l1_loss(out["ab"], ab, beta=1.0, reduction="none").mean(dim=(1, 2, 3))
    target_bins = B.encode(F.avg_pool2d(ab, 4))
    ce = F.cross_entropy(out["logits"], target_bins, weight=ce_weights)
    hard = ((light_err - full_err).detach() > cfg.dcm_margin).float()
    dcm = F.binary_cross_entropy_with_logits(out["hard_logit"], hard)
    total = cfg.w_ce * ce + cfg.w_reg * reg + cfg.w_light * light_err.mean() + cfg.w_dcm * dcm
    stats = {"loss": total.item(), "ce": ce.item(), "reg": reg.item(), "light": light_err.mean().item(),
             "dcm": dcm.item(), "hard": hard.mean().item()}  # fmt: skip
    return total, stats


def lr_at(t_frac: float, cfg: TrainConfig) -> float:
    """Warm-up over the first 2 %, constant, then cosine down to 5 % over the last 30 % of the time budget."""
    if t_frac < 0.02:
        return cfg.lr * (0.1 + 0.9 * t_frac / 0.02)
    if t_frac < 0.7:
        return cfg.lr
    x = min((t_frac - 0.7) / 0.3, 1.0)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * x)))


def save_checkpoint(path: Path, model, opt, cfg: TrainConfig, state: dict):
    ckpt = {
        "model_name": MODEL_NAME,
        "model_version": state["version"],
        "model_args": model.args.to_dict(),
        "config": asdict(cfg),
        "model": model.state_dict(),
        "optimizer": opt.state_dict() if opt is not None else None,
        "step": state["step"],
        "images_seen": state["images_seen"],
        "elapsed_s": state["elapsed_s"],
        "prior": state["prior"],
        "ce_weights": state["ce_weights"],
        "eras": list(ERAS),
        "situations": list(SITUATIONS),
        "val_loss": state.get("val_loss"),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(ckpt, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def validate(model, val_batches, cfg, ce_weights) -> float:
    model.eval()
    losses = [compute_loss(model, b, cfg, ce_weights)[1]["loss"] for b in val_batches]
    model.train()
    return float(np.mean(losses))


def train(cfg: TrainConfig, resume: bool = False) -> dict:
    """Run training as configured; returns the final state dict (step, losses, paths)."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "ckpt.pt"
    log = open(out / "log.txt", "a")

    def say(msg):
        log.write(msg + "\n")
        log.flush()

    files = list_images(cfg.data)
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(files))
    nval = min(cfg.val_images, max(len(files) // 10, 1)) if len(files) > 1 else 0
    val_files = [files[i] for i in order[:nval]]
    train_files = [files[i] for i in order[nval:]] or files
    labels = read_labels(cfg.labels) if cfg.labels else None

    margs = ModelArgs.from_dict(cfg.model)
    model = FindColorNet(margs).to(cfg.device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = {"step": 0, "images_seen": 0, "elapsed_s": 0.0, "version": time.strftime("%Y%m%d-%H%M")}
    if resume and ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=cfg.device, weights_only=False)
        model.load_state_dict(ck["model"])
        if ck.get("optimizer"):
            opt.load_state_dict(ck["optimizer"])
        state.update(step=ck["step"], images_seen=ck["images_seen"], elapsed_s=ck["elapsed_s"])
        state["prior"], state["ce_weights"] = ck["prior"], ck["ce_weights"]
        say(f"resumed from {ckpt_path} at step {state['step']}")
    else:
        prior = compute_prior(train_files, cfg.prior_images, cfg.seed)
        state["prior"] = prior.tolist()
        state["ce_weights"] = B.rebalance_weights(prior).tolist()
    ce_weights = torch.tensor(state["ce_weights"], dtype=torch.float32, device=cfg.device)
    say(f"config {json.dumps(asdict(cfg))}")
    say(f"params {count_params(model)}  train images {len(train_files)}  val images {len(val_files)}")

    ds = CropDataset(train_files, cfg.crop, cfg.seed, labels, ERAS, SITUATIONS)
    gen = torch.Generator().manual_seed(cfg.seed + state["step"])
    val_rng = np.random.default_rng(12345)
    val_gen = torch.Generator().manual_seed(12345)
    val_batches = []
    if val_files:
        vds = CropDataset(val_files, cfg.crop, 999, labels, ERAS, SITUATIONS)
        for s in range(0, len(vds), cfg.batch_size):
            items = [vds[i] for i in range(s, min(s + cfg.batch_size, len(vds)))]
            rgb, ref, era, sit = (torch.utils.data.default_collate(items)[k] for k in range(4))
            b = make_batch(rgb, ref, era, sit, cfg, val_rng, val_gen)
            val_batches.append({k: v.to(cfg.device) for k, v in b.items()})

    budget = cfg.minutes * 60.0
    total_budget = state["elapsed_s"] + budget if resume else budget
    t0 = time.time()
    start_elapsed = state["elapsed_s"]
    last_save = time.time()
    model.train()
    ema = None
    pbar = tqdm(desc="train", unit="img", mininterval=10, dynamic_ncols=True)
    done = False
    stop = {"flag": False}  # SIGTERM: finish the step, save, exit

    def on_term(signum, frame):
        stop["flag"] = True

    old_handler = (
        signal.signal(signal.SIGTERM, on_term)
        if threading.current_thread() is threading.main_thread()
        else None
    )
    while not done:
        ds.epoch = state["step"]
        loader = torch.utils.data.DataLoader(
            ds,
            batch_size=cfg.batch_size,
            shuffle=True,
            num_workers=0,
            drop_last=len(ds) >= cfg.batch_size,
            generator=torch.Generator().manual_seed(cfg.seed + state["step"]),
        )
        for rgb, ref, era, sit in loader:
            elapsed = start_elapsed + time.time() - t0
            if elapsed >= total_budget or (cfg.max_steps and state["step"] >= cfg.max_steps) or stop["flag"]:
                done = True
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(elapsed / max(total_budget, 1e-9), cfg)
            batch = make_batch(rgb, ref, era, sit, cfg, rng, gen)
            batch = {k: v.to(cfg.device) for k, v in batch.items()}
            loss, stats = compute_loss(model, batch, cfg, ce_weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            state["step"] += 1
            state["images_seen"] += len(rgb)
            state["elapsed_s"] = start_elapsed + time.time() - t0
            ema = stats["loss"] if ema is None else 0.95 * ema + 0.05 * stats["loss"]
            ips = state["images_seen"] / max(state["elapsed_s"], 1e-9)
            pbar.update(len(rgb))
            pbar.set_postfix(loss=f"{ema:.3f}", img_s=f"{ips:.1f}")
            if state["step"] % cfg.log_every == 0:
                say(
                    f"step {state['step']} t {state['elapsed_s']:.0f}s loss {ema:.4f} "
                    + " ".join(f"{k} {v:.3f}" for k, v in stats.items())
                    + f" lr {opt.param_groups[0]['lr']:.2e} img/s {ips:.1f}"
                )
            if time.time() - last_save > cfg.save_every_s:
                if val_batches:
                    state["val_loss"] = validate(model, val_batches, cfg, ce_weights)
                    say(f"step {state['step']} val_loss {state['val_loss']:.4f}")
                save_checkpoint(ckpt_path, model, opt, cfg, state)
                last_save = time.time()
    pbar.close()
    if old_handler is not None:
        signal.signal(signal.SIGTERM, old_handler)
    if val_batches:
        state["val_loss"] = validate(model, val_batches, cfg, ce_weights)
        say(f"final step {state['step']} val_loss {state['val_loss']:.4f}")
    save_checkpoint(ckpt_path, model, opt, cfg, state)
    say(f"saved {ckpt_path}")
    log.close()
    state["ckpt"] = str(ckpt_path)
    state["final_loss"] = ema
    return state


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--labels", default=None, help="CSV with columns path,era,situation")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=0)
    a = p.parse_args(argv)
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda but CUDA is not available")
    cfg = TrainConfig(
        data=a.data,
        out=a.out,
        labels=a.labels,
        device=a.device,
        minutes=a.minutes,
        batch_size=a.batch_size,
        crop=a.crop,
        lr=a.lr,
        threads=a.threads,
        max_steps=a.max_steps,
    )
    state = train(cfg, resume=a.resume)
    print(
        f"done: step {state['step']} images {state['images_seen']} val_loss {state.get('val_loss')} -> {state['ckpt']}"
    )


if __name__ == "__main__":
    main()
