"""Context adaptation (ml.adapt): verified on load, gated on held-out references, used only when it helps."""

import json

import numpy as np
import pytest
from PIL import Image

from ml import Hint
from ml import bins as B
from ml.adapt import (
    GATE_MARGIN_DB,
    MAX_VERIFIED_SHARE,
    Adaptation,
    AdaptationError,
    build_adaptation,
    decide,
    fit_calibration,
    make_profile,
)
from ml.adapt import main as adapt_main
from ml.colorize import main as colorize_main
from ml.colorizer import Colorizer
from ml.colorspace import hex_to_ab
from ml.profiles import build_profile

from .conftest import two_region_gray


@pytest.fixture(scope="module")
def shipped():
    return Colorizer.load()


def scene(seed: int, top, bottom, H: int = 48, W: int = 64) -> np.ndarray:
    """A photo-like two-band scene (sky over ground) with grain; (H,W,3) uint8."""
    rng = np.random.default_rng(seed)
    im = np.zeros((H, W, 3), np.float32)
    cut = int(rng.integers(H // 3, 2 * H // 3))
    im[:cut], im[cut:] = top, bottom
    im += rng.normal(0, 6, (H, W, 1))
    return np.clip(im, 0, 255).astype(np.uint8)


def wrong_references() -> list[np.ndarray]:
    """A deliberately wrong reference set: every photo a different saturated colour cast, unrelated to the others."""
    casts = [(230, 20, 200), (20, 230, 40), (240, 220, 10), (10, 40, 240), (250, 120, 0), (0, 220, 220)]
    return [scene(i, c, tuple(int(v * 0.6) for v in c)) for i, c in enumerate(casts)]


def usable_for(colorizer, profile, model_checksum=None) -> Adaptation:
    """An adaptation whose gate passed (built as build_adaptation builds it), for `colorizer` unless told."""
    body = {
        "format": "findcolor-adaptation",
        "version": 1,
        "name": "test",
        "created": "2026-12-06T00:00:00Z",
        "model_checksum": model_checksum or colorizer.checksum,
        "model_version": colorizer.model_version,
        "n_references": 5,
        "n_verified_colours": 0,
        "gate": {"passed": True, "delta_db": 0.6, "n_heldout": 5, "n_references": 5},
        "profile": profile.to_dict(),
    }
    return Adaptation.from_bytes(Adaptation.from_body(body).to_bytes())


def test_the_gate_refuses_a_deliberately_wrong_reference_set_and_the_colorizer_then_ignores_it(shipped):
    ad = build_adaptation(wrong_references(), shipped, name="wrong")
    g = ad.gate
    assert g["passed"] is False and g["delta_db"] < 0 and g["n_heldout"] == 6
    assert not ad.usable and not ad.applies_to(shipped)
    gray = two_region_gray()
    plain = shipped.colorize(gray)
    res = shipped.colorize(gray, adaptation=ad)
    assert res.adaptation is None
    assert np.array_equal(res.ab, plain.ab)
    # ... while its profile, forced, does change the colours: refusing it is the gate's doing
    assert np.abs(shipped.colorize(gray, profile=ad.profile).ab - plain.ab).mean() > 0.5


def test_a_usable_adaptation_is_the_global_hint_and_the_result_names_it(shipped):
    profile = build_profile([scene(1, (90, 140, 210), (70, 130, 50))])
    ad = usable_for(shipped, profile)
    gray = two_region_gray()
    res = shipped.colorize(gray, adaptation=ad)
    assert res.adaptation == ad.checksum
    assert np.allclose(res.ab, shipped.colorize(gray, profile=ad.profile).ab)
    assert not np.allclose(res.ab, shipped.colorize(gray).ab)
    # a reference photo given by the curator wins over the collection's adaptation
    assert (
        shipped.colorize(gray, adaptation=ad, reference=scene(2, (200, 30, 30), (30, 30, 200))).adaptation
        is None
    )


def test_an_adaptation_checked_with_another_model_is_not_used(shipped):
    ad = usable_for(
        shipped, build_profile([scene(1, (90, 140, 210), (70, 130, 50))]), model_checksum="f" * 64
    )
    res = shipped.colorize(two_region_gray(), adaptation=ad)
    assert res.adaptation is None and not ad.applies_to(shipped)
    with pytest.raises(ValueError):
        shipped.colorize(two_region_gray(), adaptation={"profile": "not an adaptation"})


def test_the_file_round_trips_and_a_tampered_or_malformed_one_is_refused(shipped, tmp_path):
    ad = usable_for(shipped, build_profile([scene(1, (90, 140, 210), (70, 130, 50))]))
    path = tmp_path / "a.json"
    ad.save(path)
    back = Adaptation.load(path)
    assert back.checksum == ad.checksum and back.usable and np.allclose(back.profile.hist, ad.profile.hist)
    doc = json.loads(path.read_text())
    doc["body"]["gate"]["passed"] = False  # an edit without a new checksum
    with pytest.raises(AdaptationError, match="checksum"):
        Adaptation.from_bytes(json.dumps(doc).encode())
    doc = json.loads(path.read_text())
    doc["body"]["format"] = "something-else"
    with pytest.raises(AdaptationError, match="format"):
        Adaptation.from_bytes(json.dumps(doc).encode())
    for bad in (b"", b"\xff\xfe", b"[1, 2]", b'{"body": 3}', b"x" * (2 << 20)):
        with pytest.raises(AdaptationError):
            Adaptation.from_bytes(bad)
    with pytest.raises(AdaptationError, match="cannot read"):
        Adaptation.load(tmp_path / "missing.json")


def test_verified_colours_weigh_like_reference_pixels_but_never_more_than_their_cap():
    grays = [np.full((16, 16, 3), 128, np.uint8)] * 5
    red_bin = int(B.encode(np.array([hex_to_ab("#c0302a")], np.float32))[0])
    small = make_profile(grays, [("#c0302a", 0.5)])  # half a photo's worth beside 5 photos
    assert abs(small.hist[red_bin] - 0.5 / 5.5) < 1e-4
    big = make_profile(grays, [("#c0302a", 100.0)])
    assert abs(big.hist[red_bin] - MAX_VERIFIED_SHARE) < 1e-4
    assert big.saturation == small.saturation == make_profile(grays).saturation  # references alone set it
    with pytest.raises(ValueError):
        make_profile(grays, [("#c0302a", 0)])
    with pytest.raises(ValueError):
        make_profile(grays, [("not a colour", 1.0)])


def test_too_few_or_malformed_references_are_refused(shipped):
    with pytest.raises(ValueError, match="at least 5"):
        build_adaptation(wrong_references()[:4], shipped)
    with pytest.raises(ValueError, match="RGB"):
        build_adaptation([np.zeros((32, 32), np.uint8)] * 5, shipped)


def test_the_clis_build_an_adaptation_and_refuse_a_tampered_one(tmp_path, capsys):
    refs = tmp_path / "refs"
    refs.mkdir()
    for i, im in enumerate(wrong_references()):
        Image.fromarray(im).save(refs / f"{i}.png")
    out = tmp_path / "coll.json"
    assert adapt_main([str(refs), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "colour references 6 photos" in said and "NOT used" in said
    assert Adaptation.load(out).gate["n_references"] == 6
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(two_region_gray()).save(src)
    assert colorize_main([str(src), str(dst), "--adaptation", str(out)]) == 0
    assert "not used" in capsys.readouterr().err
    out.write_bytes(out.read_bytes().replace(b'"passed": false', b'"passed": true'))
    assert colorize_main([str(src), str(dst), "--adaptation", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "checksum" in err[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert adapt_main([str(empty), "--out", str(tmp_path / "x.json")]) == 2
    assert capsys.readouterr().err.startswith("error: an adaptation needs at least 5")


def calibrated_for(colorizer, W) -> Adaptation:
    body = json.loads(
        usable_for(colorizer, build_profile([scene(1, (90, 140, 210), (70, 130, 50))])).to_bytes()
    )["body"]
    body.update(variant="calibration", calibration=np.asarray(W).tolist())
    return Adaptation.from_bytes(Adaptation.from_body(body).to_bytes())


def test_a_calibration_corrects_the_automatic_colours_and_leaves_hinted_runs_alone(shipped):
    W = [[0.5, 0.0], [0.0, 0.5], [4.0, -2.0]]
    ad = calibrated_for(shipped, W)
    gray = two_region_gray()
    plain = shipped.colorize(gray)
    res = shipped.colorize(gray, adaptation=ad)
    assert res.adaptation == ad.checksum
    assert np.allclose(res.ab, np.clip(plain.ab * 0.5 + np.array([4.0, -2.0]), -110, 110), atol=1e-3)
    hint = Hint(0.25, 0.5, "#aa3322", verified=True)
    hinted = shipped.colorize(gray, hints=[hint], adaptation=ad)
    assert hinted.adaptation is None
    assert np.array_equal(hinted.ab, shipped.colorize(gray, hints=[hint]).ab)


def test_the_calibration_fit_recovers_a_known_colour_cast():
    rng = np.random.default_rng(0)
    preds = []
    for _ in range(5):
        ab = rng.uniform(-40, 40, (256, 256, 2)).astype(np.float32)
        truth = ab @ np.array([[0.8, 0.1], [0.0, 0.9]], np.float32) + np.array([5.0, -3.0], np.float32)
        preds.append((None, truth, ab))
    W = fit_calibration(preds)
    assert np.allclose(W, [[0.8, 0.1], [0.0, 0.9], [5.0, -3.0]], atol=0.15)  # offsets shrink a little (ridge)


def test_a_calibration_of_the_wrong_shape_is_refused(shipped):
    with pytest.raises(AdaptationError, match="calibration"):
        calibrated_for(shipped, [[1.0, 0.0], [0.0, 1.0]])
    body = json.loads(calibrated_for(shipped, np.eye(3, 2)).to_bytes())["body"]
    body["calibration"] = None
    with pytest.raises(AdaptationError, match="without its calibration"):
        Adaptation.from_body(body)


def test_the_gate_refuses_a_positive_mean_gain_that_varies_too_much_between_references():
    rng = np.random.default_rng(3)
    without = rng.uniform(20, 30, 40)
    # +0.4 dB on average, but photo to photo anything from -3 to +4 dB: the lower bound is below the margin
    noisy = without + 0.4 + rng.normal(0, 2.5, 40)
    noisy += 0.4 - (noisy - without).mean()
    g = decide(without, {"profile": noisy, "calibration": without - 0.1})
    assert g["variant"] == "profile" and g["delta_db"] == pytest.approx(0.4, abs=1e-3)
    assert g["passed"] is False and g["lower_db"] < GATE_MARGIN_DB and "not sure" in g["reason"]
    # the same mean gain, steady from photo to photo, passes
    steady = without + 0.4 + rng.normal(0, 0.2, 40)
    g = decide(without, {"profile": without - 0.1, "calibration": steady})
    assert g["passed"] is True and g["variant"] == "calibration" and g["lower_db"] >= GATE_MARGIN_DB
    # a mean below the margin is refused for that reason, however steady
    g = decide(without, {"profile": without + 0.01, "calibration": without - 1})
    assert g["passed"] is False and "below" in g["reason"]
