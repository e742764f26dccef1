"""Support for the repair tests (no tests here): the repairer they run, and photos with visible damage.

The shipped checkpoint (ml/weights/repair.pt) when it exists; otherwise a real ml.repair.Repairer loaded (and
SHA-256 verified) from a small checkpoint constructed here the way ml/tests/test_repair.py does: the detector's
weights are seeded and untrained, and the fill is OpenCV's Telea (no refiner), so the whole pipeline (tiles,
masks, the composite that changes only masked pixels) runs for real. Select it with
settings.REPAIRER = "tests.test_repair_support.repairer".
"""

import io
import tempfile
import threading
from pathlib import Path

import numpy as np
from PIL import Image

REPAIRER_PATH = "tests.test_repair_support.repairer"
_LOCK = threading.Lock()
_CACHE: dict = {}


def repairer():
    import torch

    from ml.repair import DEFAULT_CHECKPOINT, Repairer, get_repairer

    with _LOCK:
        if "r" not in _CACHE:
            if DEFAULT_CHECKPOINT.is_file():
                _CACHE["r"] = get_repairer()
            else:
                from ml.repair.net import DamageNet, InpaintNet, UNetArgs
                from ml.repair.train import TrainConfig, save_checkpoint

                torch.manual_seed(0)
                cfg = TrainConfig(
                    detector=UNetArgs(1, (4, 8)).to_dict(), inpainter=UNetArgs(3, (4, 8)).to_dict()
                )
                det = DamageNet(UNetArgs.from_dict(cfg.detector))
                inp = InpaintNet(UNetArgs.from_dict(cfg.inpainter))
                path = Path(tempfile.mkdtemp(prefix="repair-test-")) / "repair.pt"
                curve = [
                    {"threshold": 0.5, "psnr_telea": 30.0, "psnr_refined": 20.0}
                ]  # Telea wins: no refiner
                save_checkpoint(path, det, inp, cfg, curve, 0, 0.0)
                _CACHE["r"] = Repairer.load(path)
        return _CACHE["r"]


SCRATCH_ROW = 20  # the bright scratch of scratched_png, 2 px wide (rows 20 and 21)


def scratched_values(width=64, height=48) -> tuple[np.ndarray, np.ndarray]:
    """(damaged uint8 (H,W), scratch mask (H,W) bool): a smooth gradient crossed by a white horizontal scratch."""
    xx = np.linspace(60, 160, width)[None, :]
    yy = np.linspace(0, 30, height)[:, None]
    clean = np.round(xx + yy).astype(np.uint8)
    mask = np.zeros((height, width), bool)
    mask[SCRATCH_ROW : SCRATCH_ROW + 2, 4 : width - 4] = True
    return np.where(mask, 255, clean).astype(np.uint8), mask


def scratched_png(width=64, height=48) -> bytes:
    damaged, _ = scratched_values(width, height)
    buffer = io.BytesIO()
    Image.fromarray(damaged, "L").save(buffer, format="PNG")
    return buffer.getvalue()


def png(array: np.ndarray) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "mask.png"
    return buffer


def mask_upload(mask: np.ndarray) -> io.BytesIO:
    """An 8-bit PNG file of mask (H,W) bool, 255 = damaged."""
    return png(np.where(mask, 255, 0).astype(np.uint8))


def scratched_photo(people):
    """A real ingested photo with a white scratch, its derivatives made (the working image exists)."""
    from archive.services.ingest import do_ingest_photo, make_derivatives

    photo = do_ingest_photo(
        people.curator, people.collection, io.BytesIO(scratched_png()), "scratched.png", None
    )
    make_derivatives(photo.pk)
    photo.refresh_from_db()
    return photo


def tampered_repairer():
    """Loading a checkpoint whose bytes no longer match its .sha256 sidecar: raises ml's CheckpointError."""
    from ml.repair import Repairer

    good = repairer()
    if good.path is None:
        raise RuntimeError("the test repairer has no file")
    path = Path(tempfile.mkdtemp(prefix="repair-tampered-")) / "repair.pt"
    path.write_bytes(good.path.read_bytes() + b"tampered")
    path.with_name("repair.pt.sha256").write_text(f"{good.checksum}  repair.pt\n")
    return Repairer.load(path)
