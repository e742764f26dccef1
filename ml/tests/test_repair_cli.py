"""python -m ml.repair: repair with a given mask, write the detected mask, and bad input (exit 2, one error line).

The CLI runs in-process (main(argv)) with a small random checkpoint: what is tested here is the file handling and the
guarantee, not the model's quality."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from PIL import Image

from ml.repair.__main__ import main

from .test_repair import photo, scratch, write_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    p = tmp_path_factory.mktemp("repair_cli") / "r.pt"
    write_checkpoint(p, use_refiner=False)
    return p


@pytest.fixture
def scan(tmp_path):
    clean = photo(96, 128)
    m = scratch(96, 128, 2)
    img = (np.where(m, 0.97, clean) * 255).round().astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "in.png")
    Image.fromarray(m.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    return tmp_path, img, m


def _run(argv, capsys):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_curator_repairs_exactly_the_mask_they_give(scan, ckpt, capsys):
    d, img, m = scan
    rc, out, err = _run(
        [d / "in.png", d / "out.png", "--mask-in", d / "mask.png", "--checkpoint", ckpt], capsys
    )
    assert rc == 0, err
    res = np.asarray(Image.open(d / "out.png"))
    assert res.dtype == np.uint8 and res.shape == img.shape
    assert np.array_equal(res[~m], img[~m])
    assert (res[m].astype(int) < 240).mean() > 0.9  # the bright scratch is gone
    assert "repaired" in out


def test_a_16_bit_scan_stays_16_bit_and_the_detected_mask_is_written(tmp_path, ckpt, capsys):
    g16 = (photo(64, 80) * 65535).round().astype(np.uint16)
    Image.fromarray(g16).save(tmp_path / "in16.png")
    rc, _, err = _run(
        [tmp_path / "in16.png", tmp_path / "o16.png", "--mask-out", tmp_path / "m.png", "--checkpoint", ckpt],
        capsys,
    )
    assert rc == 0, err
    with Image.open(tmp_path / "o16.png") as im:
        out = np.asarray(im)
    with Image.open(tmp_path / "m.png") as mm:
        assert mm.mode == "L" and mm.size == (80, 64)
        mask = np.asarray(mm) == 255
    assert out.dtype == np.uint16 or out.dtype.itemsize >= 2
    assert np.array_equal(out.astype(np.uint16)[~mask], g16[~mask])


@pytest.mark.parametrize(
    "case",
    [
        "missing_input",
        "not_an_image",
        "mask_wrong_size",
        "mask_rgb",
        "mask_missing",
        "bad_output_ext",
        "sixteen_bit_to_jpeg",
        "corrupt_checkpoint",
        "bad_threshold",
        "no_arguments",
    ],
)
def test_bad_input_exits_2_with_one_error_line(case, scan, ckpt, capsys, tmp_path):
    d, img, m = scan
    args = [d / "in.png", d / "out.png", "--checkpoint", ckpt]
    if case == "missing_input":
        args[0] = d / "nope.png"
    elif case == "not_an_image":
        (d / "junk.png").write_bytes(b"not a png")
        args[0] = d / "junk.png"
    elif case == "mask_wrong_size":
        Image.fromarray(np.zeros((10, 10), np.uint8)).save(d / "small.png")
        args += ["--mask-in", d / "small.png"]
    elif case == "mask_rgb":
        Image.fromarray(np.zeros((96, 128, 3), np.uint8)).save(d / "rgb.png")
        args += ["--mask-in", d / "rgb.png"]
    elif case == "mask_missing":
        args += ["--mask-in", d / "absent.png"]
    elif case == "bad_output_ext":
        args[1] = d / "out.xyz"
    elif case == "sixteen_bit_to_jpeg":
        Image.fromarray((photo(32, 32) * 65535).astype(np.uint16)).save(d / "in16.png")
        args[0], args[1] = d / "in16.png", d / "out.jpg"
    elif case == "corrupt_checkpoint":
        bad = tmp_path / "bad.pt"
        bad.write_bytes(ckpt.read_bytes()[:-10] + b"0123456789")
        (tmp_path / "bad.pt.sha256").write_text((ckpt.parent / "r.pt.sha256").read_text())
        args[3] = bad
    elif case == "bad_threshold":
        args += ["--threshold", "1.5"]
    elif case == "no_arguments":
        args = []
    with pytest.raises(SystemExit) if case == "no_arguments" else contextlib.nullcontext() as exc:
        rc, _, err = _run(args, capsys)
    if case == "no_arguments":
        rc = exc.value.code
        err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1, err
    assert not (d / "out.png").exists()
