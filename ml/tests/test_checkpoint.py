import pytest

from ml import CheckpointError, Colorizer, get_colorizer
from ml.checkpoint import DEFAULT_CHECKPOINT, sha256_file

from .conftest import make_checkpoint


def test_it_loads_a_verified_checkpoint_and_reports_its_checksum(ckpt_path):
    c = Colorizer.load(ckpt_path)
    assert c.checksum == sha256_file(ckpt_path)
    assert c.model_version == "test-0"
    assert c.model_name == "findcolor-v2-effnetlite0"


def test_it_raises_a_clear_error_for_a_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        Colorizer.load(tmp_path / "nope.pt")


def test_it_raises_when_the_file_does_not_match_its_sha256(tmp_path):
    p = tmp_path / "m.pt"
    make_checkpoint(p)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        Colorizer.load(p)


def test_it_raises_for_an_unreadable_checkpoint_without_a_sidecar(tmp_path):
    p = tmp_path / "junk.pt"
    p.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        Colorizer.load(p)


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.exists(), reason="no shipped checkpoint")
def test_it_ships_a_checkpoint_that_matches_its_sha256_and_is_cached_per_process():
    c = get_colorizer()
    assert c is get_colorizer()
    assert c.checksum == (DEFAULT_CHECKPOINT.parent / "findcolor.pt.sha256").read_text().split()[0]
    assert DEFAULT_CHECKPOINT.stat().st_size < 50 * 2**20
