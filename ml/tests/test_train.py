import re

import numpy as np
import torch
from PIL import Image

from ml.encoder import load_encoder
from ml.train import TrainConfig, sample_hints, train

from .conftest import TINY


def _synthetic_dataset(root, n=8):
    """Small photos where colour follows lightness: dark = blue, bright = orange, plus a red square."""
    rng = np.random.default_rng(0)
    root.mkdir()
    for i in range(n):
        g = rng.uniform(0, 1, (3, 3))
        g = np.kron(g, np.ones((24, 24)))
        rgb = np.stack([0.2 + 0.8 * g, 0.2 + 0.5 * g, 0.9 - 0.7 * g], axis=2)
        r, c = rng.integers(0, 50, 2)
        rgb[r : r + 16, c : c + 16] = (0.8, 0.1, 0.1)
        Image.fromarray((rgb * 255).astype(np.uint8)).save(root / f"{i}.png")


def test_it_reduces_the_loss_in_a_tiny_training_run_and_resumes(tmp_path):
    data = tmp_path / "data"
    _synthetic_dataset(data)
    cfg = TrainConfig(
        data=str(data), out=str(tmp_path / "run"), cache_side=64, crop=64, small_crop=32, small_frac=0.0,
        batch_size=4, max_steps=48, minutes=5, threads=1, prior_images=8, val_images=2, log_every=8,
        p_degrade=0.0, lr=3e-3, model=TINY.to_dict(),
    )  # fmt: skip
    state = train(cfg)
    log = (tmp_path / "run" / "log.txt").read_text()
    losses = [float(x) for x in re.findall(r" step \d+ t \S+ S \d+ loss (\S+)", log)]
    assert len(losses) == 6
    assert np.mean(losses[-2:]) < 0.8 * losses[0]
    ck = torch.load(state["ckpt"], weights_only=True)
    assert ck["step"] == 48
    assert tuple(ck["model_args"]["dec"]) == TINY.dec
    # only what the project trained: no encoder weights, but the encoder's identity
    assert not any(k.startswith(("encoder.", "_blocks", "_conv_stem")) for k in ck["model"])
    assert len(ck["encoder"]["sha256"]) == 64 and ck["encoder"]["file"].endswith(".pth")
    assert len(ck["val_names"]) == 1
    assert ck["curve"][-1]["step"] == 48
    cfg.max_steps = 50
    state2 = train(cfg, resume=True)
    assert state2["step"] == 50
    assert "resumed at step 48" in (tmp_path / "run" / "log.txt").read_text()


def test_a_run_from_a_checkpoint_can_train_the_encoder_top_and_stores_only_that_part(tmp_path):
    data = tmp_path / "data"
    _synthetic_dataset(data, n=4)
    base = dict(
        data=str(data), cache_side=64, crop=64, small_frac=0.0, batch_size=2, max_steps=2, minutes=5,
        threads=1, prior_images=4, val_images=1, p_degrade=0.0, model=TINY.to_dict(),
    )  # fmt: skip
    first = torch.load(train(TrainConfig(out=str(tmp_path / "a"), **base))["ckpt"], weights_only=True)
    assert first["encoder_tuned"] == {}
    state = train(
        TrainConfig(out=str(tmp_path / "b"), init=str(tmp_path / "a" / "ckpt.pt"), tune_from=14, **base)
    )
    ck = torch.load(state["ckpt"], weights_only=True)
    assert "initialized from" in (tmp_path / "b" / "log.txt").read_text()
    assert ck["prior"] == first["prior"]
    tuned = ck["encoder_tuned"]
    assert tuned["from"] == 14
    assert {k.split(".")[0] + "." + k.split(".")[1] for k in tuned["state"] if k.startswith("_blocks")} == {
        "_blocks.14",
        "_blocks.15",
    }
    imagenet, _ = load_encoder()
    w = "_blocks.15._project_conv.weight"
    assert not torch.equal(tuned["state"][w], imagenet.state_dict()[w])  # it was trained
    # a run from that checkpoint with the encoder frozen again keeps (and saves) the tuned blocks
    frozen = train(TrainConfig(out=str(tmp_path / "c"), init=str(tmp_path / "b" / "ckpt.pt"), **base))
    kept = torch.load(frozen["ckpt"], weights_only=True)["encoder_tuned"]
    assert kept["from"] == 14 and torch.equal(kept["state"][w], tuned["state"][w])


def test_it_samples_hints_as_tokens_carrying_the_mean_colour_of_their_patch():
    ab = torch.zeros(64, 2, 32, 32)
    ab[:, 0, :, 16:] = 40.0  # right half a = 40, left half a = 0
    tok, mask = sample_hints(ab, torch.Generator().manual_seed(0))
    n = mask.sum(1)
    assert tok.shape[0] == 64 and tok.shape[2] == 4 and mask.shape == tok.shape[:2]
    assert (n == 0).any() and (n == 1).any() and n.max() > 8 and n.max() <= 64
    x, a = tok[..., 0][mask], tok[..., 2][mask]
    assert ((x >= 0) & (x <= 1)).all()
    far_left, far_right = x < 0.3, x > 0.7  # patches are at most 9 px wide: never straddle the middle
    assert far_left.any() and far_right.any()
    assert a[far_left].abs().max() < 1e-4 and (a[far_right] - 40).abs().max() < 1e-4
    assert (tok[~mask] == 0).all()
    fixed, m1 = sample_hints(ab[:3], torch.Generator().manual_seed(1), n=torch.tensor([0, 1, 5]))
    assert m1.sum(1).tolist() == [0, 1, 5]
