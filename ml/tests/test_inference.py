"""Inference settings: the checkpoint's own, then the caller's overrides (ml/inference.py)."""

import pytest

from ml.inference import InferenceSettings


def test_a_checkpoints_stored_settings_replace_the_defaults_and_overrides_replace_both():
    ckpt = {"inference": {"work_side": 512, "anneal_mix": 0.25, "hint_reach": 3}}
    plain = InferenceSettings.of_checkpoint(ckpt)
    assert (plain.work_side, plain.anneal_mix, plain.hint_reach, plain.dcm_threshold) == (512, 0.25, 3.0, 0.5)
    assert isinstance(plain.hint_reach, float)
    tuned = InferenceSettings.of_checkpoint(ckpt, work_side=1024, tile=64, anneal_mix=None)
    assert (tuned.work_side, tuned.tile, tuned.anneal_mix) == (1024, 64, 0.25)  # None: the checkpoint's


def test_a_checkpoint_does_not_choose_the_tiling_and_an_unknown_setting_is_refused():
    assert InferenceSettings.of_checkpoint({"inference": {"tile": 32, "something_new": 1}}).tile == 256
    with pytest.raises(TypeError, match="work_sid"):
        InferenceSettings.of_checkpoint({}, work_sid=512)
