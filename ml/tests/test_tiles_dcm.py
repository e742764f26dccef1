import numpy as np

from ml.bench import synthetic_scan
from ml.colorizer import Colorizer, tile_starts


def _prepared(c: Colorizer, H=150, W=230):
    gray = synthetic_scan(H, W, seed=5)
    from ml.colorizer import parse_gray

    L = parse_gray(gray)
    og = c._forward(
        L[::2, ::2].copy(),
        np.zeros((2, (H + 1) // 2, (W + 1) // 2), np.float32),
        np.zeros((1, (H + 1) // 2, (W + 1) // 2), np.float32),
        np.zeros(c.args.n_bins + 2, np.float32),
        (0, 0),
    )
    return L, og["gfeat"]


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
    L, gfeat = _prepared(c)
    H, W = L.shape
    z = np.zeros((2, H, W), np.float32)
    timings = {}
    ab = c._tiled(
        L, z, z[:1], np.zeros(c.args.n_bins + 2, np.float32), (0, 0), gfeat, False, lambda: None, timings
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


def test_it_routes_easy_tiles_to_the_light_head_and_hinted_tiles_never(ckpt_path):
    L, gfeat = None, None
    z_args = None
    results = {}
    for thr in (0.0, 2.0):
        c = Colorizer.load(ckpt_path, work_side=230, tile=64, overlap=16, dcm_threshold=thr)
        if L is None:
            L, gfeat = _prepared(c)
            H, W = L.shape
            z_args = (np.zeros((2, H, W), np.float32), np.zeros((1, H, W), np.float32))
        t = {}
        c._tiled(L, *z_args, np.zeros(c.args.n_bins + 2, np.float32), (0, 0), gfeat, True, lambda: None, t)
        results[thr] = t
        t_off = {}
        c._tiled(
            L, *z_args, np.zeros(c.args.n_bins + 2, np.float32), (0, 0), gfeat, False, lambda: None, t_off
        )
        assert t_off["tiles_easy"] == 0
    assert results[0.0]["tiles_easy"] == 0  # nothing is below probability 0
    assert results[2.0]["tiles_easy"] == results[2.0]["tiles"]  # everything is
    # a tile holding a hint always takes the full network
    c = Colorizer.load(ckpt_path, work_side=230, tile=64, overlap=16, dcm_threshold=2.0)
    hab, hm = z_args[0].copy(), z_args[1].copy()
    hm[0, 5, 5] = 1
    t = {}
    c._tiled(L, hab, hm, np.zeros(c.args.n_bins + 2, np.float32), (0, 0), gfeat, True, lambda: None, t)
    assert t["tiles_easy"] == t["tiles"] - 1
