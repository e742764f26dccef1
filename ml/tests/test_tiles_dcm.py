import numpy as np

from ml.bench import synthetic_scan
from ml.colorizer import Colorizer
from ml.tiles import tile_starts


def _prepared(c: Colorizer, H=150, W=230):
    """(L at the working size, the global pass on the half-size photo) as colorize() prepares them."""
    from ml.colorizer import parse_gray

    L = parse_gray(synthetic_scan(H, W, seed=5))
    og = c._forward(L[::2, ::2].copy(), np.zeros((0, 4), np.float32), np.zeros(c.args.n_bins + 2, np.float32),
                    (0, 0), want_taps=True)  # fmt: skip
    return L, og


def test_it_covers_every_row_with_overlapping_tiles():
    for n, T, ov in [(300, 64, 16), (64, 64, 16), (65, 64, 16), (1000, 256, 48)]:
        s = tile_starts(n, T, ov)
        cover = np.zeros(n, int)
        for a in s:
            cover[a : a + T] += 1
        assert cover.min() >= 1 and s[0] == 0
        if len(s) > 1:
            assert min(b - a for a, b in zip(s, s[1:], strict=False)) <= T - ov


def test_it_blends_tiles_without_visible_seams(ckpt_path):
    c = Colorizer.load(ckpt_path, work_side=230, tile=64, overlap=16)
    L, og = _prepared(c)
    H, W = L.shape
    timings = {}
    ab = c._tiled(
        L, [], np.zeros(c.args.n_bins + 2, np.float32), (0, 0), og, False, lambda: None, timings, 0.0
    )
    assert timings["tiles"] > 4
    jump_x = np.linalg.norm(np.diff(ab, axis=1), axis=2)  # (H, W-1): between column j and j+1
    jump_y = np.linalg.norm(np.diff(ab, axis=0), axis=2)
    bx = set()
    for s in tile_starts(W, 64, 16):
        bx.update({s - 1, min(s + 64, W) - 1})
    by = set()
    for s in tile_starts(H, 64, 16):
        by.update({s - 1, min(s + 64, H) - 1})
    bx = sorted(b for b in bx if 0 <= b < W - 1)
    by = sorted(b for b in by if 0 <= b < H - 1)
    inner_x = np.delete(jump_x, bx, axis=1)
    inner_y = np.delete(jump_y, by, axis=0)
    assert jump_x[:, bx].max() < inner_x.max()
    assert jump_y[by, :].max() < inner_y.max()


def test_it_lets_the_dcm_keep_the_global_chroma_for_easy_tiles_and_never_for_hinted_ones(ckpt_path):
    from ml import Hint
    from ml.enforce import resize

    gh = None
    results = {}
    for thr in (0.0, 2.0):
        c = Colorizer.load(ckpt_path, work_side=230, tile=64, overlap=16, dcm_threshold=thr)
        L, og = _prepared(c)
        gh = np.zeros(c.args.n_bins + 2, np.float32)
        t = {}
        ab = c._tiled(L, [], gh, (0, 0), og, True, lambda: None, t, 0.0)
        results[thr] = (t, ab)
        t_off = {}
        c._tiled(L, [], gh, (0, 0), og, False, lambda: None, t_off, 0.0)
        assert t_off["tiles_easy"] == 0
    assert results[0.0][0]["tiles_easy"] == 0  # no probability is below 0
    assert results[2.0][0]["tiles_easy"] == results[2.0][0]["tiles"]  # every probability is below 2
    # an all-easy render is the global pass's chroma, upsampled
    H, W = L.shape
    assert np.allclose(results[2.0][1], resize(og["ab"], H, W, "bilinear"), atol=1e-4)
    assert not np.allclose(results[0.0][1], results[2.0][1], atol=1e-2)
    # a tile holding a hint always gets its own pass
    t = {}
    c._tiled(L, [Hint(0.01, 0.01, "#ff0000")], gh, (0, 0), og, True, lambda: None, t, 0.0)
    assert t["tiles_easy"] == t["tiles"] - 1
