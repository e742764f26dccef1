import numpy as np
from PIL import Image

from ml.colorize import main

from .conftest import two_region_gray


def _run(args, capsys):
    code = main([str(a) for a in args])
    err = capsys.readouterr().err.strip()
    return code, err


def test_it_colorizes_a_file_with_hints_and_writes_the_uncertainty(tmp_path, ckpt_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(two_region_gray()).save(src)
    out, unc = tmp_path / "out.png", tmp_path / "unc.png"
    code, err = _run(
        [
            src,
            out,
            "--hint",
            "10,20,#aa2222",
            "--uncertainty",
            unc,
            "--checkpoint",
            ckpt_path,
        ],
        capsys,
    )
    assert code == 0, err
    assert np.asarray(Image.open(out)).shape == (64, 96, 3)
    assert np.asarray(Image.open(unc)).shape == (64, 96)


def test_it_exits_nonzero_with_one_line_for_bad_input(tmp_path, ckpt_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(two_region_gray()).save(src)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    out = tmp_path / "o.png"
    cases = [
        [tmp_path / "missing.png", out],
        [junk, out],
        [src, out, "--hint", "500,10,#ff0000"],
        [src, out, "--hint", "10,10,#ff00"],
        [src, out, "--hint", "10,#ff0000"],
        [src, out, "--checkpoint", tmp_path / "nope.pt"],
    ]
    for args in cases:
        code, err = _run(
            list(args) + ([] if "--checkpoint" in map(str, args) else ["--checkpoint", ckpt_path]), capsys
        )
        assert code != 0, args
        assert err.startswith("error:") and len(err.splitlines()) == 1, err
