"""The model gateway: the only place the platform loads the colorizer (and the damage repairer), reads a photo's
grayscale and picks its context. Runs (full resolution), live previews and colour suggestions all go through it, so they use the same
model on the same device (settings.COLORIZER, COLORIZE_DEVICE) and read 16-bit scans the same way.
"""

import threading
from collections import OrderedDict

import numpy as np
from django.conf import settings
from PIL import Image

from archive import imaging
from config import jobs

_GRAY_CACHE: OrderedDict = OrderedDict()
_GRAY_CACHE_SIZE = 32
_GRAY_LOCK = threading.Lock()


# ------------------------------------------------------------------------------------------- the model


def colorize_device() -> str:
    """COLORIZE_DEVICE, with "auto" resolved: CUDA when torch sees a GPU, else the CPU."""
    wanted = settings.COLORIZE_DEVICE or "auto"
    if wanted != "auto":
        return wanted
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def get_colorizer():
    """The process-wide colorizer: settings.COLORIZER (a dotted path to a factory) or the shipped checkpoint on
    colorize_device(). Loaded once per process and device."""
    if settings.COLORIZER:
        return jobs.resolve(settings.COLORIZER)()
    import ml

    return ml.get_colorizer(colorize_device())  # ml's process-wide copy, one per device


def get_repairer():
    """The process-wide damage detector / inpainter (ml.repair.Repairer): settings.REPAIRER (a dotted path to a
    factory) or the shipped checkpoint ml/weights/repair.pt, SHA-256 verified. Raises ml.CheckpointError."""
    if settings.REPAIRER:
        return jobs.resolve(settings.REPAIRER)()
    from ml import repair

    return repair.get_repairer()


# ------------------------------------------------------------------------------------------- the input


def gray_array(image: Image.Image, *, turn: bool = True) -> np.ndarray:
    """The one grayscale rule: the first page, turned as its EXIF orientation says (like the derivatives the
    hints are placed on; `turn=False` for a derivative, turned already); 16-bit gray stays uint16 (no
    precision is lost), everything else becomes 8-bit luminance (archive.imaging.to_8bit, then L) as uint8."""
    image.seek(0)
    image.load()
    if turn:
        image = imaging.oriented(image)
    if image.mode in imaging.SIXTEEN_BIT_MODES:
        return np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
    working = imaging.to_8bit(image)
    gray = working if working.mode == "L" else working.convert("L")
    return np.asarray(gray, dtype=np.uint8)


def _shrunk(gray: np.ndarray, side: int) -> np.ndarray:
    height, width = gray.shape
    scale = side / max(height, width)
    if scale >= 1:
        return gray
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(gray.astype(np.float32), "F").resize(size, Image.Resampling.LANCZOS)
    top = 65535 if gray.dtype == np.uint16 else 255
    return np.clip(np.asarray(resized) + 0.5, 0, top).astype(gray.dtype)


def load_gray(photo, max_side: int | None = None, base=None) -> np.ndarray:
    """The photo's grayscale (H,W) by gray_array: the original at full resolution (max_side None: runs), or at
    most `max_side` px on its long side from the gray derivative when it exists (previews, suggestions;
    the last few are cached per file). `base` (a colorize RepairedBase, runs only): its repaired image
    instead of the original, the same size and bit depth (docs/repair.md). Previews and suggestions read the
    photo's active repaired base when it has one, so they show what a run would colour."""
    if max_side is None:
        source = base.image if base is not None else photo.original
        with source.open("rb") as handle, Image.open(handle) as image:
            return gray_array(image, turn=base is None)
    from colorize.models import RepairedBase

    active = RepairedBase.objects.filter(photo_id=photo.pk, withdrawn_at__isnull=True).only("image").first()
    source = active.image if active is not None else photo.gray if photo.gray else photo.original
    turn = active is None and not photo.gray  # the base and the gray derivative are turned already
    key = (photo.pk, source.name, max_side)
    with _GRAY_LOCK:
        if key in _GRAY_CACHE:
            _GRAY_CACHE.move_to_end(key)
            return _GRAY_CACHE[key]
    with source.open("rb") as handle, Image.open(handle) as image:
        if image.format == "JPEG":
            image.draft("L", (max_side * 2, max_side * 2))
        gray = _shrunk(gray_array(image, turn=turn), max_side)
    with _GRAY_LOCK:
        _GRAY_CACHE[key] = gray
        while len(_GRAY_CACHE) > _GRAY_CACHE_SIZE:
            _GRAY_CACHE.popitem(last=False)
    return gray


def load_rgb(field_file) -> np.ndarray:
    """A reference image as (H,W,3) uint8 RGB."""
    with field_file.open("rb") as handle, Image.open(handle) as image:
        image.load()
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


# ------------------------------------------------------------------------------------------- adaptations


def build_adaptation(references, verified_colours=(), name=None, progress=None, cancel=None):
    """ml.build_adaptation with this process's colorizer (docs/adaptation.md): `references` are (H,W,3) uint8
    RGB arrays (at least 5, else ValueError), `verified_colours` ("#rrggbb", weight) pairs. Runs the held-out
    gate: seconds to a minute on one thread, so only background jobs call it."""
    import ml

    return ml.build_adaptation(
        references,
        get_colorizer(),
        verified_colours=verified_colours,
        name=name,
        progress=progress,
        cancel=cancel,
    )


def load_adaptation(field_file, checksum: str):
    """The stored adaptation file as an ml.Adaptation, verified (format and checksum by ml, and against the
    checksum the platform recorded). Raises ml.AdaptationError (a ValueError) for a malformed or altered file,
    OSError for a missing one."""
    import ml

    with field_file.open("rb") as handle:
        adaptation = ml.Adaptation.from_bytes(handle.read())
    if adaptation.checksum != checksum:
        raise ml.AdaptationError("the adaptation file does not match its recorded checksum")
    return adaptation


# ------------------------------------------------------------------------------------------- the context


def context_of(photo, era=None, situation=None) -> dict:
    """{"era": slug | None, "situation": slug | None}: the given era/situation (a run's choice), else the
    photo's era and its primary situation (the first of its situations by slug: stable in every language)."""
    era = era or photo.era
    situation = situation or photo.situations.order_by("slug").first()
    return {"era": era.slug if era else None, "situation": situation.slug if situation else None}


# ------------------------------------------------------------------------------------------- warm start


def warm_colorizer() -> float:
    """Load the colorizer and run one small suggestion and preview through it, so that the first curator's
    request does not pay for the load (seconds on the CPU). Returns the seconds it took."""
    import logging
    import time

    started = time.perf_counter()
    colorizer = get_colorizer()
    gray = np.tile(np.linspace(0.1, 0.9, 64, dtype=np.float32), (48, 1))  # a 64x48 ramp, values in [0, 1]
    colorizer.suggest(gray, (0.5, 0.5), k=4)
    colorizer.colorize(gray, max_side=64)
    seconds = time.perf_counter() - started
    logging.getLogger(__name__).info("model warmed in %.1f s", seconds)
    return seconds


def warm_in_background() -> threading.Thread | None:
    """Warm the colorizer in a daemon thread when settings.MODEL_WARM_ON_START is on (serving processes and
    workers call this at start; it never blocks them, and a failure is only logged: the first request then
    loads the model as before). None when the setting is off (the default under pytest)."""
    if not settings.MODEL_WARM_ON_START:
        return None

    def run():
        import logging

        try:
            warm_colorizer()
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception("model warm-up failed; the first request will load it")

    thread = threading.Thread(target=run, name="model-warm-up", daemon=True)
    thread.start()
    return thread
