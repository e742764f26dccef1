import re

import numpy as np
import torch
from PIL import Image

from ml.model import ModelArgs
from ml.train import TrainConfig, train


def _synthetic_dataset(root, n=8):
    """Small photos where colour follows lightness: dark = blue, bright = orange, plus a red square."""
    rng = np.random.default_rng(0)
    root.mkdir()
    for i in range(n):
        g = rng.uniform(0, 1, (3, 3))
        g = np.kron(g, np.ones((16, 16)))
        rgb = np.stack([0.2 + 0.8 * g, 0.2 + 0.5 * g, 0.9 - 0.7 * g], axis=2)
        r, c = rng.integers(0, 30, 2)
        rgb[r : r + 12, c : c + 12] = (0.8, 0.1, 0.1)
        Image.fromarray((rgb * 255).astype(np.uint8)).save(root / f"{i}.png")


def test_it_reduces_the_loss_in_a_tiny_training_run_and_resumes(tmp_path):
    data = tmp_path / "data"
    _synthetic_dataset(data)
    args = ModelArgs(widths=(8, 16, 16, 32), gdim=32)
    cfg = TrainConfig(
        data=str(data),
        out=str(tmp_path / "run"),
        crop=32,
        batch_size=4,
        max_steps=60,
        minutes=5,
        threads=1,
        prior_images=8,
        val_images=2,
        log_every=5,
        p_degrade=0.0,
        lr=3e-3,
        model=args.to_dict(),
    )
    state = train(cfg)
    log = (tmp_path / "run" / "log.txt").read_text()
    losses = [float(x) for x in re.findall(r"^step \d+ t \S+ loss (\S+)", log, flags=re.M)]
    assert len(losses) >= 10
    assert np.mean(losses[-3:]) < 0.8 * losses[0]
    ck = torch.load(state["ckpt"], weights_only=False)
    assert (
        ck["step"] == 60
        and ck["model_args"]["widths"] == [8, 16, 16, 32]
        or ck["model_args"]["widths"] == (8, 16, 16, 32)
    )
    cfg.max_steps = 70
    state2 = train(cfg, resume=True)
    assert state2["step"] == 70
    assert "resumed" in (tmp_path / "run" / "log.txt").read_text()
