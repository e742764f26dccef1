import numpy as np
import torch

from ml import bins as B


def test_it_finds_a_few_hundred_in_gamut_bins_inside_the_ab_square():
    b = B.ab_bins()
    assert 200 < len(b) < 400
    assert np.abs(b).max() <= 110
    assert (np.abs(b).sum(axis=1) == 0).any()  # the neutral bin


def test_it_encodes_to_the_nearest_bin_and_decodes_to_its_centre():
    rng = np.random.default_rng(0)
    bins = B.ab_bins()
    ab = bins[rng.integers(0, len(bins), 500)] + rng.uniform(-4.9, 4.9, (500, 2)).astype(np.float32)
    idx = B.encode(ab)
    assert np.abs(B.decode(idx) - ab).max() <= 5.0
    t = torch.from_numpy(ab.T.reshape(1, 2, 20, 25).copy())
    assert (
        B.encode(t).numpy().ravel() == B.encode(ab.T.reshape(2, 20, 25).transpose(1, 2, 0).reshape(-1, 2))
    ).all()


def test_it_soft_encodes_into_rows_that_sum_to_one():
    z = B.soft_encode(np.array([[0.0, 0.0], [30.0, -20.0]]))
    assert z.shape == (2, len(B.ab_bins()))
    assert np.allclose(z.sum(1), 1.0)


def test_it_gives_rare_colours_larger_rebalancing_weights():
    prior = np.full(len(B.ab_bins()), 1e-4)
    neutral = B.encode(np.array([[0.0, 0.0]]))[0]
    prior[neutral] = 1.0
    w = B.rebalance_weights(prior)
    assert w[neutral] < np.median(w)
    assert (w > 0).all()


def test_it_returns_the_bin_itself_as_the_annealed_mean_of_a_peaked_distribution():
    Q = len(B.ab_bins())
    logits = torch.full((1, Q, 1, 1), -20.0)
    logits[0, 17] = 20.0
    ab = B.annealed_mean(logits)[0, :, 0, 0].numpy()
    assert np.abs(ab - B.ab_bins()[17]).max() < 1e-3


def test_it_lists_in_gamut_colours_at_a_lightness():
    mid, dark = B.gamut_hex(50), B.gamut_hex(5)
    assert len(mid) > len(dark) > 0
    assert all(h.startswith("#") and len(h) == 7 for h in mid)
