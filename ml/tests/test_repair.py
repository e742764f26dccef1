"""ml.repair: the damage detector, the inpainting composite, the checkpoint check, the synthetic damage.

Tests of the shipped detector use clear synthetic damage that any useful detector must find; the guarantee that no
pixel outside the mask changes is tested with a random (untrained) model, so it holds whatever the weights."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from ml.checkpoint import CheckpointError, sha256_file
from ml.repair import DEFAULT_CHECKPOINT, Repairer
from ml.repair.metrics import tolerant_f1
from ml.repair.net import DamageNet, InpaintNet, UNetArgs
from ml.repair.synth import MASK_DIFF, damage
from ml.repair.train import MODEL_NAME, TrainConfig, save_checkpoint

torch.set_num_threads(1)


def photo(H: int = 256, W: int = 320, seed: int = 0) -> np.ndarray:
    """A smooth synthetic 'photo' (H,W) float32 in [0,1]: gradients, soft shapes and a little grain."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    g = 0.35 + 0.25 * xx / W + 0.15 * np.sin(yy / H * 3.0)
    for _ in range(5):
        cy, cx, r = rng.uniform(0, H), rng.uniform(0, W), rng.uniform(20, 60)
        g += rng.uniform(-0.15, 0.15) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    g += rng.normal(0, 0.01, g.shape)
    return np.clip(g, 0.05, 0.95).astype(np.float32)


def scratch(H: int, W: int, width: int, seed: int = 1) -> np.ndarray:
    """A long, slightly curved line mask (H,W) bool."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 40)
    x = W * (0.1 + 0.8 * t)
    y = H * (0.3 + 0.4 * t) + 8 * np.sin(t * math.pi * rng.uniform(1, 2))
    m = np.zeros((H, W), np.uint8)
    pts = np.stack([x, y], 1).round().astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(m, [pts], False, 1, width)
    return m > 0


def write_checkpoint(path, use_refiner: bool, seed: int = 0) -> str:
    """A small random (untrained) repair checkpoint with its sidecar; returns the digest."""
    torch.manual_seed(seed)
    cfg = TrainConfig(detector=UNetArgs(1, (4, 8, 8)).to_dict(), inpainter=UNetArgs(3, (4, 8)).to_dict())
    det = DamageNet(UNetArgs.from_dict(cfg.detector))
    inp = InpaintNet(UNetArgs.from_dict(cfg.inpainter))
    curve = [{"threshold": 0.5, "psnr_telea": 20.0, "psnr_refined": 30.0 if use_refiner else 10.0}]
    return save_checkpoint(path, det, inp, cfg, curve, 0, 0.0)


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    p = tmp_path_factory.mktemp("repair") / "random.pt"
    write_checkpoint(p, use_refiner=True)
    r = Repairer.load(p, detect_tile=96, repair_tile=64)
    assert r.refiner is not None
    return r


@pytest.fixture(scope="module")
def shipped():
    if not DEFAULT_CHECKPOINT.exists():
        pytest.skip("no shipped repair checkpoint")
    return Repairer.load()


# ------------------------------------------------------------------------------------------------ detector
@pytest.mark.parametrize("value,width", [(0.97, 1), (0.97, 3), (0.03, 2)])
def test_the_shipped_detector_finds_a_clear_scratch_a_curator_can_see(shipped, value, width):
    clean = photo()
    m = scratch(*clean.shape, width)
    damaged = np.where(m, value, clean).astype(np.float32)
    prob = shipped.detect((damaged * 255).round().astype(np.uint8))
    found = shipped.mask_from_prob(prob, grow=0)
    f1, prec, rec = tolerant_f1(found, m, tol=2)
    assert rec > 0.9, f"scratch not found: recall {rec:.2f}"
    assert prec > 0.6, f"too many false finds: precision {prec:.2f}"


def test_the_shipped_detector_finds_dust_specks_and_leaves_a_clean_photo_alone(shipped):
    clean = photo(seed=3)
    rng = np.random.default_rng(5)
    m = np.zeros(clean.shape, np.uint8)
    for _ in range(12):
        cv2.circle(m, (int(rng.uniform(10, 310)), int(rng.uniform(10, 246))), int(rng.integers(1, 3)), 1, -1)
    m = m > 0
    damaged = np.where(m, 0.98, clean).astype(np.float32)
    _, _, rec = tolerant_f1(shipped.mask_from_prob(shipped.detect(damaged), grow=0), m)
    assert rec > 0.8, f"specks not found: recall {rec:.2f}"
    false = shipped.mask_from_prob(shipped.detect(clean), grow=0)
    assert false.mean() < 0.002, f"{false.mean():.4f} of a clean photo marked as damage"


def test_the_detector_reads_16_bit_like_8_bit(random_model):
    g8 = (photo() * 255).round().astype(np.uint8)
    g16 = g8.astype(np.uint16) * 257
    np.testing.assert_allclose(random_model.detect(g8), random_model.detect(g16), atol=1e-4)


def test_a_large_photo_is_detected_in_tiles_without_seams(random_model):
    g = photo(300, 250)
    tiled = random_model.detect(g)
    whole = Repairer.load(random_model.path, detect_tile=4096).detect(g)
    assert tiled.shape == g.shape and tiled.dtype == np.float32
    assert np.abs(tiled - whole).max() < 0.02


def test_flip_averaging_gives_the_mean_of_the_photo_and_its_mirror_and_mirrors_with_it(random_model):
    g = photo(200, 170, seed=3)
    single, averaged = (Repairer.load(random_model.path, detect_tile=4096) for _ in range(2))  # one tile each
    averaged.flip_tta = True
    plain, mirrored = single.detect(g), single.detect(np.ascontiguousarray(g[:, ::-1]))[:, ::-1]
    assert np.abs(plain - mirrored).max() > 1e-4  # an untrained net is not mirror-symmetric by itself
    np.testing.assert_allclose(averaged.detect(g), (plain + mirrored) / 2, atol=1e-6)
    np.testing.assert_allclose(
        averaged.detect(np.ascontiguousarray(g[:, ::-1]))[:, ::-1], averaged.detect(g), atol=1e-6
    )


# ------------------------------------------------------------------------------------------------ repair
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_no_pixel_outside_the_mask_changes_whatever_the_model(random_model, dtype):
    clean = photo()
    m = scratch(*clean.shape, 3)
    damaged = np.where(m, 0.95, clean)
    img = {np.uint8: (damaged * 255).round(), np.uint16: (damaged * 65535).round(), np.float32: damaged}[
        dtype
    ]
    img = img.astype(dtype)
    out = random_model.repair(img, m)
    assert out.dtype == img.dtype and out.shape == img.shape
    assert np.array_equal(out[~m], img[~m])
    assert not np.array_equal(out[m], img[m])  # the scratch itself was repaired


def test_an_rgb_scan_is_repaired_under_one_mask_and_nothing_else_changes(random_model):
    clean = photo()
    m = scratch(*clean.shape, 2)
    rgb = (np.stack([clean, clean * 0.9, clean * 0.7], -1) * 255).round().astype(np.uint8)
    rgb[m] = 250
    out = random_model.repair(rgb, m)
    assert out.shape == rgb.shape
    assert np.array_equal(out[~m], rgb[~m])
    assert (out[m].astype(int) - 250).max() < 0


def test_a_scratch_given_as_mask_is_filled_close_to_the_clean_photo(tmp_path):
    p = tmp_path / "telea.pt"
    write_checkpoint(p, use_refiner=False)
    r = Repairer.load(p, repair_tile=64)  # small tiles: the scratch crosses many tile borders
    clean = photo()
    m = scratch(*clean.shape, 3)
    damaged = np.where(m, 1.0, clean).astype(np.float32)
    out = r.repair(damaged, m)
    err = np.abs(out - clean)[m]
    assert err.mean() < 0.02 and err.max() < 0.12
    assert np.abs(damaged - clean)[m].mean() > 0.3  # the damage was real


def test_a_mask_of_the_wrong_size_is_refused(random_model):
    with pytest.raises(ValueError, match="does not match"):
        random_model.repair(np.zeros((20, 30), np.uint8), np.zeros((30, 20), bool))


def test_the_repair_mask_grows_at_most_two_pixels(random_model):
    prob = np.zeros((40, 40), np.float32)
    prob[20, 20] = 1.0
    assert random_model.mask_from_prob(prob, grow=0).sum() == 1
    grown = random_model.mask_from_prob(prob, grow=2)
    ys, xs = np.nonzero(grown)
    assert max(np.abs(ys - 20).max(), np.abs(xs - 20).max()) == 2
    with pytest.raises(ValueError):
        random_model.mask_from_prob(prob, grow=3)


# ------------------------------------------------------------------------------------------------ checkpoint
def test_a_checkpoint_that_does_not_match_its_sha256_is_refused(tmp_path):
    p = tmp_path / "m.pt"
    write_checkpoint(p, use_refiner=False)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        Repairer.load(p)


def test_a_colorizer_checkpoint_is_not_taken_for_a_repair_model(ckpt_path):
    with pytest.raises(CheckpointError, match="not a repair checkpoint"):
        Repairer.load(ckpt_path)


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.exists(), reason="no shipped repair checkpoint")
def test_the_shipped_checkpoint_matches_its_sidecar_and_is_small():
    side = (DEFAULT_CHECKPOINT.parent / (DEFAULT_CHECKPOINT.name + ".sha256")).read_text().split()[0]
    assert sha256_file(DEFAULT_CHECKPOINT) == side
    assert DEFAULT_CHECKPOINT.stat().st_size < 20 * 2**20
    assert Repairer.load().model_name == MODEL_NAME


# ------------------------------------------------------------------------------------------------ synthetic damage
def test_the_synthetic_mask_covers_every_pixel_the_damage_changed():
    rng = np.random.default_rng(7)
    kinds = {"bright": 0, "dark": 0}
    for _ in range(20):
        clean0 = photo(128, 128, seed=int(rng.integers(1000)))
        d, c, m = damage(clean0, rng, p_none=0.0)
        assert d.shape == c.shape == m.shape == clean0.shape
        assert not (np.abs(d - c) > MASK_DIFF + 1e-6)[~m].any()
        kinds["bright"] += int(((d - c) > 0.2).sum() > 0)
        kinds["dark"] += int(((c - d) > 0.2).sum() > 0)
    assert kinds["bright"] > 3 and kinds["dark"] > 3


# ------------------------------------------------------------------------------------------------ training
def test_a_short_training_run_writes_a_checkpoint_the_repairer_verifies(tmp_path):
    from PIL import Image

    from ml.repair.train import train

    data = tmp_path / "photos" / "set"
    data.mkdir(parents=True)
    for i in range(6):
        Image.fromarray((photo(80, 96, seed=i) * 255).astype(np.uint8)).save(data / f"p{i}.png")
    cfg = TrainConfig(
        data=str(tmp_path / "photos"),
        out=str(tmp_path / "run"),
        max_steps=3,
        batch=2,
        crop=64,
        val_crops=2,
        log_every=1,
        detector=UNetArgs(1, (4, 8)).to_dict(),
        inpainter=UNetArgs(3, (4, 8)).to_dict(),
    )
    lines = []
    ck = train(cfg, log=lines.append)
    r = Repairer.load(ck)
    assert r.checksum == sha256_file(ck)
    assert any(line.startswith("eval step 3") for line in lines)
    assert r.detect(np.zeros((40, 50), np.uint8)).shape == (40, 50)


def test_hysteresis_keeps_the_faint_ends_of_a_scratch_but_not_a_faint_blot_alone(random_model):
    prob = np.zeros((40, 60), np.float32)
    prob[10, 5:55] = 0.4  # a scratch: faint ends ...
    prob[10, 25:35] = 0.9  # ... and a clear middle
    prob[30, 20:24] = 0.4  # a faint blot on its own
    m = random_model.mask_from_prob(prob, threshold=0.5, grow=0, low=0.3)
    assert m[10, 5:55].all() and m.sum() == 50
    assert random_model.mask_from_prob(prob, threshold=0.5, grow=0, low=0.0).sum() == 10
