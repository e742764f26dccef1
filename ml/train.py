"""Train the Find Color v2 network (frozen EfficientNet-Lite0 encoder) on a folder of colour photos, CPU or CUDA.

    python -m ml.train --data TRAIN_DIR --out runs/NAME [--cache runs/cache/train160.npz] [--minutes 65]
                       [--device cpu|cuda] [--threads 1] [--resume]
    python -m ml.train --dcm --out runs/NAME ...        # afterwards: train only the difficulty classifier (DCM)

Pipeline (the same code on CPU and GPU): the photos are decoded once into one uint8 tensor (from the compact JPEG
cache of `ml.photocache`, built on first use), held in memory (or on the GPU); each step indexes a batch, crops,
scales and flips it with one `grid_sample`, converts to Lab, degrades the input L, samples hints as tokens
(vectorised: 0-64 hints, a single hint in 15 % of crops, uniform and centre-weighted positions, 1-9 px patches
carrying the patch's mean colour, strokes as lines of tokens) and a global hint (the crop's own ab histogram, another
crop's = reference mode, or withheld). Progressive crops: 64 px for the first `small_frac` of the time, then 128.
Loss = 0.5 class-rebalanced CE (bins) + 0.1 smooth-L1 of the prior + 0.3 smooth-L1 of the final chroma.
Checkpoints are plain dicts in OUT/ckpt.pt (trained weights only + the encoder identity), saved every
`save_every_s`; the optimizer state goes to OUT/opt.pt. A held-out validation set (48 training photos) is scored
at every save: loss and RGB PSNR at 0, 1, 5, 20 uniform 3x3 hints; the curve is kept in the checkpoint.
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

from . import bins as B
from .color import torch_lab_to_rgb, torch_rgb_to_lab
from .context import ERAS, SITUATIONS
from .data import list_images
from .degrade import degrade
from .encoder import load_encoder
from .groups import training_groups
from .net import FindColorNet2, NetArgs, count_params
from .photocache import build_cache, load_cache

MODEL_NAME = "findcolor-v2-effnetlite0"
KMAX = 64


@dataclass
class TrainConfig:
    data: str = "../shared/datasets/train"
    out: str = "runs/default"
    cache: str | None = None
    cache_side: int = 160
    device: str = "cpu"
    crop: int = 128
    small_crop: int = 64
    small_frac: float = 0.3
    batch_size: int = 16
    small_batch: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    minutes: float = 60.0
    max_steps: int = 0
    threads: int = 1
    seed: int = 0
    bf16: bool = False
    p_degrade: float = 0.5
    p_global_withheld: float = 0.5
    p_global_reference: float = 0.4
    p_global_profile: float = (
        0.0  # > 0: that share of given global hints is a profile of other photos of its group
    )
    w_ce: float = 0.5
    w_prior: float = 0.1
    w_final: float = 0.3
    save_every_s: float = 180.0
    log_every: int = 20
    val_images: int = 48
    prior_images: int = 400
    tune_from: int = 16  # encoder blocks from this index on + its head are trained too (16: frozen encoder)
    enc_lr: float = 0.1  # their learning rate, as a fraction of lr
    init: str | None = None  # start from this checkpoint's weights (fresh optimizer and schedule)
    model: dict = field(default_factory=lambda: NetArgs().to_dict())


# ------------------------------------------------------------------------------------------------ sampling
def sample_crops(imgs: torch.Tensor, idx: torch.Tensor, S: int, gen: torch.Generator, jitter: bool = True):
    """Random square crops (side 50-100 % of the cached square), scaled to S x S, half of them flipped.

    imgs (N,3,R,R) uint8; idx (B,) long. Returns (B,3,S,S) float in [0,1] on imgs' device.
    """
    x = imgs[idx].float() / 255.0
    Bsz = len(idx)
    if not jitter:
        return F.interpolate(x, size=(S, S), mode="area")
    dev = imgs.device
    u = torch.rand(Bsz, 4, generator=gen).to(dev)
    s = 0.5 + 0.5 * u[:, 0]
    tx = (1 - s) * (2 * u[:, 1] - 1)
    ty = (1 - s) * (2 * u[:, 2] - 1)
    flip = torch.where(u[:, 3] < 0.5, -1.0, 1.0).to(dev)
    theta = torch.zeros(Bsz, 2, 3, device=dev)
    theta[:, 0, 0] = s * flip
    theta[:, 0, 2] = tx
    theta[:, 1, 1] = s
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, (Bsz, 3, S, S), align_corners=False)
    if S < x.shape[-1] * 0.5:  # avoid aliasing when shrinking a lot
        x = F.interpolate(x, scale_factor=0.5, mode="area")
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _box_means(ab: torch.Tensor, r: torch.Tensor, c: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    """Mean ab over size x size patches around (r, c). ab (B,2,S,S); r, c, size (B,K) long -> (B,K,2)."""
    Bsz, _, S, _ = ab.shape
    ii = F.pad(ab.cumsum(2).cumsum(3), (1, 0, 1, 0))  # (B,2,S+1,S+1)
    r0 = (r - size // 2).clamp(0, S - 1)
    c0 = (c - size // 2).clamp(0, S - 1)
    r1 = (r0 + size).clamp(max=S)
    c1 = (c0 + size).clamp(max=S)
    flat = ii.flatten(2)  # (B,2,(S+1)^2)

    def g(rr, cc):
        i = (rr * (S + 1) + cc)[:, None, :].expand(-1, 2, -1)
        return flat.gather(2, i)

    tot = g(r1, c1) - g(r0, c1) - g(r1, c0) + g(r0, c0)
    area = ((r1 - r0) * (c1 - c0)).clamp(min=1)[:, None, :].to(ab.dtype)
    return (tot / area).permute(0, 2, 1)


def sample_hints(ab: torch.Tensor, gen: torch.Generator, n: torch.Tensor | None = None):
    """Hints as a curator places them, as tokens. ab (B,2,S,S) Lab units.

    Returns tokens (B,K,4) = (x, y, a, b) with x, y in [0,1], and mask (B,K) bool; K = the largest count.
    Count: 0 (12 %), exactly 1 (15 %), else log-uniform 2-64. Positions: per token uniform or Gaussian around the
    centre; a quarter of the crops get strokes (4 tokens along a short line). Patch sides 1-9 px.
    """
    Bsz, _, S, _ = ab.shape
    dev = ab.device
    u = torch.rand(Bsz, 3, generator=gen)
    if n is None:
        many = torch.exp(math.log(2) + torch.rand(Bsz, generator=gen) * (math.log(KMAX + 1) - math.log(2)))
        n = torch.where(u[:, 0] < 0.12, 0, torch.where(u[:, 0] < 0.27, 1, many.floor().long().clamp(2, KMAX)))
    n = n.long()
    K = int(n.max()) if Bsz else 0
    if K == 0:
        return torch.zeros(Bsz, 0, 4, device=dev), torch.zeros(Bsz, 0, dtype=torch.bool, device=dev)
    uni = torch.rand(Bsz, K, 2, generator=gen) * S
    gau = (torch.randn(Bsz, K, 2, generator=gen) * (S / 4) + S / 2).clamp(0, S - 1)
    pick = torch.rand(Bsz, K, 1, generator=gen) < 0.5
    pos = torch.where(pick, uni, gau)
    # strokes: groups of 4 consecutive tokens on a line from the group's first point
    stroke = (u[:, 1] < 0.25)[:, None, None]
    ang = torch.rand(Bsz, K, generator=gen) * 2 * math.pi
    step = 2 + 4 * torch.rand(Bsz, K, generator=gen)
    j = (torch.arange(K) % 4).float()[None]
    base = (torch.arange(K) // 4 * 4)[None].expand(Bsz, -1)
    bpos = pos.gather(1, base[..., None].expand(-1, -1, 2))
    bang = ang.gather(1, base)
    bstep = step.gather(1, base)
    spos = bpos + torch.stack([torch.sin(bang), torch.cos(bang)], -1) * (j * bstep)[..., None]
    pos = torch.where(stroke, spos.clamp(0, S - 1), pos)
    size = torch.randint(1, 10, (Bsz, K), generator=gen)
    size = torch.where(stroke[..., 0], (size // 3).clamp(min=1), size)
    r = pos[..., 0].long().clamp(0, S - 1).to(dev)
    c = pos[..., 1].long().clamp(0, S - 1).to(dev)
    col = _box_means(ab, r, c, size.to(dev))
    xy = torch.stack([(c.float() + 0.5) / S, (r.float() + 0.5) / S], -1)
    tokens = torch.cat([xy, col], -1)
    mask = (torch.arange(K)[None] < n[:, None]).to(dev)
    return tokens * mask[..., None], mask


def eval_hint_tokens(ab: torch.Tensor, n: int, seed: int):
    """Seeded uniform 3x3 hints for validation (as ml.evaluate). ab (B,2,S,S) -> tokens (B,n,4), mask (B,n)."""
    Bsz, _, S, _ = ab.shape
    g = torch.Generator().manual_seed(seed)
    r = torch.randint(0, S, (Bsz, n), generator=g).to(ab.device)
    c = torch.randint(0, S, (Bsz, n), generator=g).to(ab.device)
    col = _box_means(ab, r, c, torch.full_like(r, 3))
    xy = torch.stack([(c.float() + 0.5) / S, (r.float() + 0.5) / S], -1)
    return torch.cat([xy, col], -1), torch.ones(Bsz, n, dtype=torch.bool, device=ab.device)


def global_hint(ab: torch.Tensor, given: torch.Tensor) -> torch.Tensor:
    """(B,2,H,W), given (B,) bool -> (B,Q+2): histogram, mean saturation/100, given flag (0 rows when withheld)."""
    hist = B.torch_histogram(ab)
    sat = ab.norm(dim=1).mean(dim=(1, 2)) / 100.0
    g = torch.cat([hist, sat[:, None], torch.ones_like(sat)[:, None]], dim=1)
    return g * given[:, None].to(g.dtype)


def make_batch(imgs, idx, S, cfg: TrainConfig, gen: torch.Generator, groups=None):
    """Network inputs and targets for a batch of photo indices."""
    dev = imgs.device
    rgb = sample_crops(imgs, idx, S, gen)
    lab = torch_rgb_to_lab(rgb)
    L, ab = lab[:, :1], lab[:, 1:]
    Lin = degrade(L, gen, cfg.p_degrade)
    tokens, tmask = sample_hints(ab, gen)
    n = len(idx)
    given = (torch.rand(n, generator=gen) >= cfg.p_global_withheld).to(dev)
    use_ref = (torch.rand(n, generator=gen) < cfg.p_global_reference).to(dev)
    ref_ab = torch_rgb_to_lab(sample_crops(imgs, idx, max(S // 2, 32), gen))[:, 1:]
    gh_self = global_hint(ab, given)
    gh_ref = global_hint(ref_ab, given)
    gh = torch.where(use_ref[:, None], gh_ref, gh_self)
    if (
        groups is not None and cfg.p_global_profile > 0
    ):  # ml.groups: a collection's profile, never the photo's own
        use_prof = (torch.rand(n, generator=gen) < cfg.p_global_profile).to(dev)
        gh = torch.where(use_prof[:, None], groups.profile_hints(idx.cpu(), gen).to(dev) * given[:, None], gh)
    zeros = torch.zeros(n, dtype=torch.long, device=dev)
    return {
        "L": Lin,
        "tokens": tokens,
        "tmask": tmask,
        "ghint": gh,
        "era": zeros,
        "situation": zeros,
        "ab": ab,
    }


def compute_loss(model, batch, cfg: TrainConfig, ce_weights: torch.Tensor):
    """All losses for one batch. Returns (total loss tensor, dict of floats)."""
    dev = batch["L"].device
    with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
        out = model(
            batch["L"], batch["tokens"], batch["tmask"], batch["ghint"], batch["era"], batch["situation"]
        )
    ab = batch["ab"]
    ce = F.cross_entropy(out["logits"].float(), B.encode(F.avg_pool2d(ab, 4)), weight=ce_weights)
    prior = F.smooth_l1_loss(out["prior_ab"].float(), ab, beta=1.0)
    final = F.smooth_l1_loss(out["ab"].float(), ab, beta=1.0)
    total = cfg.w_ce * ce + cfg.w_prior * prior + cfg.w_final * final
    return total, {"loss": total.item(), "ce": ce.item(), "prior": prior.item(), "final": final.item()}


def lr_at(t_frac: float, cfg: TrainConfig) -> float:
    """Warm-up over the first 2 %, constant, then cosine down to 5 % over the last 30 % of the time budget."""
    if t_frac < 0.02:
        return cfg.lr * (0.1 + 0.9 * t_frac / 0.02)
    if t_frac < 0.7:
        return cfg.lr
    x = min((t_frac - 0.7) / 0.3, 1.0)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * x)))


def compute_prior(imgs: torch.Tensor, n: int, seed: int) -> np.ndarray:
    """Empirical ab-bin frequencies of up to n cached photos at 64 px. Returns (Q,)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(imgs), generator=g)[:n]
    out = []
    for s in range(0, len(idx), 64):
        x = F.interpolate(imgs[idx[s : s + 64]].float().cpu() / 255.0, size=(64, 64), mode="area")
        out.append(torch_rgb_to_lab(x)[:, 1:].permute(0, 2, 3, 1).numpy())
    return B.empirical_prior(out)


def psnr_rgb(L, ab_pred, ab_true) -> torch.Tensor:
    """Per-image RGB PSNR (dB) of (L, ab_pred) vs (L, ab_true). (B,1,H,W),(B,2,H,W)x2 -> (B,)."""
    a = torch_lab_to_rgb(torch.cat([L, ab_pred], 1).float())
    b = torch_lab_to_rgb(torch.cat([L, ab_true], 1).float())
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3)).clamp(min=1e-10)
    return -10 * torch.log10(mse)


@torch.no_grad()
def validate(model, vimgs, cfg: TrainConfig, ce_weights, S: int = 128) -> dict:
    """Held-out score: loss (mixed hints) and RGB PSNR at 0/1/5/20 uniform 3x3 hints, plus gray."""
    model.eval()
    res: dict = {}
    losses, ps = [], {n: [] for n in (0, 1, 5, 20)}
    gray = []
    for s in range(0, len(vimgs), 16):
        idx = torch.arange(s, min(s + 16, len(vimgs)))
        rgb = sample_crops(vimgs, idx.to(vimgs.device), S, torch.Generator(), jitter=False)
        lab = torch_rgb_to_lab(rgb)
        L, ab = lab[:, :1], lab[:, 1:]
        z = torch.zeros(len(idx), dtype=torch.long, device=L.device)
        gh = torch.zeros(len(idx), B.ab_bins().shape[0] + 2, device=L.device)
        gray.append(psnr_rgb(L, torch.zeros_like(ab), ab))
        for n in ps:
            tok, tm = eval_hint_tokens(ab, n, 1000 + s + n)
            with torch.autocast(L.device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
                out = model(L, tok, tm, gh, z, z)
            ps[n].append(psnr_rgb(L, out["ab"].float(), ab))
            if n == 5:
                ce = F.cross_entropy(out["logits"].float(), B.encode(F.avg_pool2d(ab, 4)), weight=ce_weights)
                fin = F.smooth_l1_loss(out["ab"].float(), ab)
                pri = F.smooth_l1_loss(out["prior_ab"].float(), ab)
                losses.append((cfg.w_ce * ce + cfg.w_prior * pri + cfg.w_final * fin).item())
    model.train()
    res["val_loss"] = float(np.mean(losses))
    for n, v in ps.items():
        res[f"psnr{n}"] = float(torch.cat(v).mean())
    res["psnr_gray"] = float(torch.cat(gray).mean())
    return res


def checkpoint_dict(model: FindColorNet2, cfg: TrainConfig, state: dict, ident: dict) -> dict:
    return {
        "model_name": MODEL_NAME,
        "model_version": state["version"],
        "model_args": model.args.to_dict(),
        "config": asdict(cfg),
        "model": model.state_dict(),
        "encoder": dict(ident),
        "encoder_tuned": model.encoder.tuned_state(),
        "step": state["step"],
        "images_seen": state["images_seen"],
        "elapsed_s": state["elapsed_s"],
        "prior": state["prior"],
        "ce_weights": state["ce_weights"],
        "eras": list(ERAS),
        "situations": list(SITUATIONS),
        "curve": state.get("curve", []),
        "val_names": state.get("val_names", []),
    }


def save(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_photos(cfg: TrainConfig, log) -> tuple[torch.Tensor, list[str]]:
    cache = Path(cfg.cache) if cfg.cache else Path(cfg.out) / f"photos{cfg.cache_side}.npz"
    if not cache.exists():
        log(f"building photo cache {cache}")
        build_cache(list_images(cfg.data), cache, cfg.cache_side, 85, log=log)
    t = time.time()
    imgs, names = load_cache(cache)
    log(f"decoded {len(imgs)} photos {tuple(imgs.shape)} in {time.time() - t:.1f}s")
    return imgs, names


def train(cfg: TrainConfig, resume: bool = False) -> dict:
    """Run training as configured; returns the final state (step, curve, checkpoint path)."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    dev = torch.device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path, opt_path = out / "ckpt.pt", out / "opt.pt"
    logf = open(out / "log.txt", "a")

    def say(msg):
        logf.write(f"{time.strftime('%H:%M:%S')} {msg}\n")
        logf.flush()

    imgs, names = load_photos(cfg, say)
    perm = torch.randperm(len(imgs), generator=torch.Generator().manual_seed(cfg.seed))
    nval = min(cfg.val_images, max(len(imgs) // 10, 1)) if len(imgs) > 1 else 0
    vidx, tidx = perm[:nval], perm[nval:]
    if len(tidx) == 0:
        tidx = perm
    encoder, ident = load_encoder()
    groups = None
    if cfg.p_global_profile > 0:
        tidx, groups = training_groups(imgs, names, tidx, encoder, log=say)
    vimgs, timgs = imgs[vidx].to(dev), imgs[tidx].to(dev)
    del imgs
    init = torch.load(cfg.init, map_location="cpu", weights_only=True) if cfg.init else None
    if init is not None:
        encoder.load_tuned(init.get("encoder_tuned") or {})
    enc_params = encoder.tune(cfg.tune_from)
    encoder.to(dev)
    model = FindColorNet2(NetArgs.from_dict(cfg.model), encoder).to(dev)
    opt = torch.optim.AdamW(
        [{"params": list(model.parameters()), "scale": 1.0}, {"params": enc_params, "scale": cfg.enc_lr}],
        lr=cfg.lr, weight_decay=cfg.weight_decay,
    )  # fmt: skip
    state = {"step": 0, "images_seen": 0, "elapsed_s": 0.0, "version": "2." + time.strftime("%Y%m%d.%H%M")}
    state["val_names"] = [names[i] for i in vidx.tolist()]
    if init is not None and not (resume and ckpt_path.exists()):
        model.load_state_dict(init["model"])
        for k in ("prior", "ce_weights", "curve"):
            state[k] = init[k]
        if init.get("val_names") and init["val_names"] != state["val_names"]:
            say("warning: the held-out photos differ from the initial checkpoint's")
        say(f"initialized from {cfg.init} ({init.get('model_version')})")
    elif resume and ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=dev, weights_only=True)
        model.load_state_dict(ck["model"])
        encoder.load_tuned(ck.get("encoder_tuned") or {})
        if opt_path.exists():
            opt.load_state_dict(torch.load(opt_path, map_location=dev, weights_only=True))
        for k in ("step", "images_seen", "elapsed_s", "prior", "ce_weights", "curve"):
            state[k] = ck[k]
        say(f"resumed at step {state['step']}")
    else:
        prior = compute_prior(timgs, cfg.prior_images, cfg.seed)
        state["prior"] = prior.tolist()
        state["ce_weights"] = B.rebalance_weights(prior).tolist()
        state["curve"] = []
    ce_weights = torch.tensor(state["ce_weights"], dtype=torch.float32, device=dev)
    say(f"config {json.dumps(asdict(cfg))}")
    say(
        f"trainable params {count_params(model)} + encoder {sum(p.numel() for p in enc_params)}  train {len(timgs)}  val {len(vimgs)}  encoder {ident}"
    )

    gen = torch.Generator().manual_seed(cfg.seed + state["step"])
    budget = cfg.minutes * 60.0
    start_elapsed = state["elapsed_s"]
    total_budget = start_elapsed + budget if resume else budget
    t0 = time.time()
    last_save = time.time()
    stop = {"flag": False}
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("flag", True))
    ema = None
    window = [time.time(), 0]

    def checkpoint(final=False):
        v = (
            validate(model, vimgs, cfg, ce_weights, S=min(128, vimgs.shape[-1] // 32 * 32))
            if len(vimgs)
            else {}
        )
        v.update(step=state["step"], images=state["images_seen"], t=round(state["elapsed_s"]))
        state["curve"].append(v)
        say("val " + json.dumps(v))
        save(ckpt_path, checkpoint_dict(model, cfg, state, ident))
        save(opt_path, opt.state_dict())

    model.train()
    while True:
        elapsed = start_elapsed + time.time() - t0
        if elapsed >= total_budget or (cfg.max_steps and state["step"] >= cfg.max_steps) or stop["flag"]:
            break
        frac = elapsed / max(total_budget, 1e-9)
        small = frac < cfg.small_frac
        S, bs = (cfg.small_crop, cfg.small_batch) if small else (cfg.crop, cfg.batch_size)
        for g in opt.param_groups:
            g["lr"] = lr_at(frac, cfg) * g["scale"]
        idx = torch.randint(0, len(timgs), (bs,), generator=gen).to(dev)
        batch = make_batch(timgs, idx, S, cfg, gen, groups)
        loss, stats = compute_loss(model, batch, cfg, ce_weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(model.parameters()) + enc_params, 1.0)
        opt.step()
        state["step"] += 1
        state["images_seen"] += bs
        window[1] += bs
        state["elapsed_s"] = start_elapsed + time.time() - t0
        ema = stats["loss"] if ema is None else 0.95 * ema + 0.05 * stats["loss"]
        if state["step"] % cfg.log_every == 0:
            cps = window[1] / max(time.time() - window[0], 1e-9)
            window[:] = [time.time(), 0]
            say(
                f"step {state['step']} t {state['elapsed_s']:.0f}s S {S} loss {ema:.4f} "
                + " ".join(f"{k} {v:.3f}" for k, v in stats.items())
                + f" lr {opt.param_groups[0]['lr']:.2e} crops/s {cps:.1f}"
            )
        if time.time() - last_save > cfg.save_every_s:
            checkpoint()
            last_save = time.time()
    if old is not None:
        signal.signal(signal.SIGTERM, old)
    checkpoint(final=True)
    say(f"saved {ckpt_path}")
    logf.close()
    state["ckpt"] = str(ckpt_path)
    return state


# ------------------------------------------------------------------------------------------------ DCM
def _padded_pass(model, L, tok, tm, gh, z, g=None):
    """Network pass on L (B,1,h,w) padded (replicate) to multiples of 32; outputs cropped back to (h,w)."""
    h, w = L.shape[-2:]
    ph, pw = (-h) % 32, (-w) % 32
    x = F.pad(L, (0, pw, 0, ph), mode="replicate")
    taps, pooled = model.encode(x)
    out = model.head(x, taps, pooled, tok, tm, gh, z, z, g=g)
    out["ab"] = out["ab"][..., :h, :w]
    return out, taps


def train_dcm(cfg: TrainConfig, minutes: float = 5.0, margin: float = 0.5) -> dict:
    """Train only the difficulty classifier (DCM) of a trained network; everything else stays frozen.

    As in `Colorizer._tiled`: a training photo (160 px, the "working image") has a global pass at 64 px; a tile
    (80 x 80 px) either keeps the global pass's chroma upsampled (cheap) or gets its own pass with the global
    vector g. The tile is "hard" when its own pass is closer to the ground truth by more than `margin` Lab units
    (mean absolute error). The DCM sees the global pass's 1/8 features over the tile's region and g (no extra
    cost at inference). Validation photos are excluded. Returns stats (share of hard tiles, accuracy).
    """
    torch.set_num_threads(cfg.threads)
    dev = torch.device(cfg.device)
    out = Path(cfg.out)
    ck = torch.load(out / "ckpt.pt", map_location=dev, weights_only=True)
    encoder, _ = load_encoder(ck["encoder"]["sha256"])
    encoder.load_tuned(ck.get("encoder_tuned") or {})
    model = FindColorNet2(NetArgs.from_dict(ck["model_args"]), encoder.to(dev)).to(dev)
    model.load_state_dict(ck["model"])
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.dcm.parameters():
        p.requires_grad_(True)
    opt = torch.optim.Adam(model.dcm.parameters(), lr=3e-3)
    imgs, names = load_photos(cfg, print)
    val = set(ck.get("val_names", []))
    imgs = imgs[torch.tensor([n not in val for n in names])]
    gen = torch.Generator().manual_seed(7)
    t0, hard_share, accs, step = time.time(), [], [], 0
    Q = B.ab_bins().shape[0]
    while time.time() - t0 < minutes * 60:
        idx = torch.randint(0, len(imgs), (16,), generator=gen)
        x = imgs[idx, :, :160, :160].float().to(dev) / 255.0
        full = torch_rgb_to_lab(x)
        n = len(idx)
        z = torch.zeros(n, dtype=torch.long, device=dev)
        gh = torch.zeros(n, Q + 2, device=dev)
        tok = torch.zeros(n, 0, 4, device=dev)
        tm = torch.zeros(n, 0, dtype=torch.bool, device=dev)
        with torch.no_grad():
            Lg = F.interpolate(full[:, :1], size=(64, 64), mode="area")
            gl, gtaps = _padded_pass(model, Lg, tok, tm, gh, z)
            cheap_full = F.interpolate(gl["ab"], size=(160, 160), mode="bilinear", align_corners=False)
            r0, c0 = (int(v) * 80 for v in torch.randint(0, 2, (2,), generator=gen))
            Lt, abt = full[:, :1, r0 : r0 + 80, c0 : c0 + 80], full[:, 1:, r0 : r0 + 80, c0 : c0 + 80]
            own, _ = _padded_pass(model, Lt, tok, tm, gh, z, g=gl["g"])
            e_cheap = (cheap_full[..., r0 : r0 + 80, c0 : c0 + 80] - abt).abs().mean(dim=(1, 2, 3))
            e_own = (own["ab"] - abt).abs().mean(dim=(1, 2, 3))
            target = (e_cheap - e_own > margin).float()
            f8 = gtaps[1][..., r0 // 20 : r0 // 20 + 4, c0 // 20 : c0 // 20 + 4]
        logit = model.difficulty(f8, gl["g"])
        loss = F.binary_cross_entropy_with_logits(logit, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        hard_share.append(target.mean().item())
        accs.append(((logit > 0).float() == target).float().mean().item())
    ck["model"] = model.state_dict()
    ck["dcm"] = {"margin": margin, "steps": step, "tiles": step * 16, "hard_share": float(np.mean(hard_share)),
                 "train_acc_last": float(np.mean(accs[-50:])) if accs else None}  # fmt: skip
    save(out / "ckpt.pt", ck)
    return ck["dcm"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/datasets/train")
    p.add_argument("--out", required=True)
    p.add_argument(
        "--cache", default=None, help="photo cache .npz (ml.photocache); built under OUT if absent"
    )
    p.add_argument("--resume", action="store_true")
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--small-batch", type=int, default=32)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--small-frac", type=float, default=0.3)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--save-every", type=float, default=None, help="seconds (default 180 CPU, 60 CUDA)")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (default on CUDA)")
    p.add_argument("--val-images", type=int, default=48)
    p.add_argument("--dcm", action="store_true", help="train only the DCM of OUT/ckpt.pt")
    p.add_argument(
        "--init", default=None, help="start from this checkpoint's weights (e.g. ml/weights/findcolor.pt)"
    )
    p.add_argument(
        "--tune-from", type=int, default=16, help="also train encoder blocks from this index (16: none)"
    )
    p.add_argument("--enc-lr", type=float, default=0.1, help="the tuned encoder's lr as a fraction of --lr")
    p.add_argument("--p-profile", type=float, default=0.0, help="share of global hints from group profiles")
    a = p.parse_args(argv)
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda but CUDA is not available")
    cfg = TrainConfig(
        data=a.data, out=a.out, cache=a.cache, device=a.device, minutes=a.minutes, batch_size=a.batch_size,
        small_batch=a.small_batch, crop=a.crop, small_frac=a.small_frac, lr=a.lr, threads=a.threads,
        max_steps=a.max_steps, bf16=a.bf16 or a.device == "cuda", val_images=a.val_images,
        init=a.init, tune_from=a.tune_from, enc_lr=a.enc_lr, p_global_profile=a.p_profile,
        save_every_s=a.save_every if a.save_every is not None else (60.0 if a.device == "cuda" else 180.0),
    )  # fmt: skip
    if a.dcm:
        print(json.dumps(train_dcm(cfg, minutes=a.minutes)))
        return
    state = train(cfg, resume=a.resume)
    last = state["curve"][-1] if state["curve"] else {}
    print(f"done: step {state['step']} images {state['images_seen']} {json.dumps(last)} -> {state['ckpt']}")


if __name__ == "__main__":
    main()
