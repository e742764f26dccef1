import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data

from ml import CheckpointError, Colorizer
from ml.colorspace import rgb_to_lab
from ml.encoder import encoder_identity, load_encoder

from .conftest import make_checkpoint


def test_it_loads_the_packaged_imagenet_weights_so_a_grayscale_cat_is_a_cat():
    net, ident = load_encoder()
    L = torch.from_numpy(rgb_to_lab(data.chelsea())[..., 0])[None, None]
    L = F.interpolate(L, size=(224, 224), mode="bilinear", align_corners=False)
    with torch.no_grad():
        p = net.logits(net.prepare(L)).softmax(1)[0]
    assert int(p.argmax()) in range(281, 286)  # ImageNet domestic cats (tabby ... Egyptian cat)
    assert float(p[281:286].sum()) > 0.5
    assert ident == encoder_identity() and len(ident["sha256"]) == 64
    assert not any(q.requires_grad for q in net.parameters())


def test_it_refuses_a_checkpoint_trained_with_other_encoder_weights(tmp_path):
    p = tmp_path / "other.pt"
    other = dict(encoder_identity(), sha256="0" * 64)
    make_checkpoint(p, encoder=other)
    with pytest.raises(CheckpointError, match="encoder weights"):
        Colorizer.load(p)


def test_it_refuses_an_old_format_checkpoint_with_a_clear_error(tmp_path):
    p = tmp_path / "old.pt"
    make_checkpoint(p, model_name="findcolor-unet-drconv")
    with pytest.raises(CheckpointError, match="not a findcolor-v2"):
        Colorizer.load(p)


def test_it_gives_features_at_four_scales():
    net, _ = load_encoder()
    with torch.no_grad():
        taps, pooled = net.features(net.prepare(torch.full((1, 1, 64, 96), 50.0)))
    assert [t.shape[1:] for t in taps] == [(24, 16, 24), (40, 8, 12), (112, 4, 6), (320, 2, 3)]
    assert pooled.shape == (1, 1280) and np.isfinite(pooled.numpy()).all()


def test_a_checkpoint_with_a_tuned_encoder_top_loads_it_over_the_packaged_weights(tmp_path):
    tuned, _ = load_encoder()
    tuned.tune(11)
    with torch.no_grad():
        tuned._blocks[12]._expand_conv.weight.mul_(0.5)
        tuned._conv_head.weight.add_(0.01)
    p = tmp_path / "tuned.pt"
    make_checkpoint(p, encoder_tuned=tuned.tuned_state())
    enc = Colorizer.load(p).net.encoder
    imagenet, _ = load_encoder()
    assert enc.tuned_from == 11
    assert torch.equal(enc._blocks[12]._expand_conv.weight, tuned._blocks[12]._expand_conv.weight)
    assert torch.equal(enc._conv_head.weight, tuned._conv_head.weight)
    assert not torch.equal(enc._conv_head.weight, imagenet._conv_head.weight)
    # everything below the tuned top is ImageNet's, and nothing of it is stored in the checkpoint
    assert torch.equal(enc._blocks[10]._expand_conv.weight, imagenet._blocks[10]._expand_conv.weight)
    assert not any(k.startswith(("_blocks.10.", "_conv_stem")) for k in tuned.tuned_state()["state"])
    assert not any(q.requires_grad for q in enc.parameters())


def test_it_refuses_tuned_encoder_weights_that_do_not_fit(tmp_path):
    tuned, _ = load_encoder()
    tuned.tune(11)
    state = tuned.tuned_state()
    missing = {"from": 11, "state": {k: v for k, v in state["state"].items() if k != "_conv_head.weight"}}
    reshaped = {"from": 11, "state": dict(state["state"], **{"_conv_head.weight": torch.zeros(3, 3)})}
    for i, bad in enumerate([missing, reshaped, {"from": 11}, {"from": 99, "state": {}}]):
        p = tmp_path / f"bad{i}.pt"
        make_checkpoint(p, encoder_tuned=bad)
        with pytest.raises(CheckpointError, match="tuned encoder"):
            Colorizer.load(p)


def test_training_the_encoder_top_sends_gradient_there_and_nowhere_below():
    net, _ = load_encoder()
    params = net.tune(11)
    assert params and all(q.requires_grad for q in params)
    taps, pooled = net.features(net.prepare(torch.rand(1, 1, 64, 64) * 100))
    (taps[-1].mean() + pooled.mean()).backward()
    assert net._blocks[11]._expand_conv.weight.grad is not None
    assert net._conv_head.weight.grad is not None
    assert net._blocks[10]._expand_conv.weight.grad is None
    assert not taps[2].requires_grad  # the 1/16 tap comes from the frozen part
