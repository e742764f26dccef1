"""Support for the run tests (no tests here): the colorizer the tests run.

The shipped checkpoint (ml/weights/findcolor.pt) when it exists; otherwise the same ml.Colorizer with the real
encoder and a seeded, untrained head, so the whole pipeline (tiling, hint enforcement, uncertainty) still runs for real.
Select it with settings.COLORIZER = "tests.test_run_support.colorizer" (or the COLORIZER env variable for
worker processes).
"""

import os
import threading
import time

_LOCK = threading.Lock()
_CACHE: dict = {}


def colorizer():
    import ml
    from ml.checkpoint import DEFAULT_CHECKPOINT

    with _LOCK:
        if "c" not in _CACHE:
            if DEFAULT_CHECKPOINT.is_file():
                _CACHE["c"] = ml.get_colorizer()
            else:
                _CACHE["c"] = ml.Colorizer.untrained(seed=0)
        return _CACHE["c"]


class _Gated:
    """A colorizer whose colorize() waits until the file `gate` exists: the test, not the clock, decides when
    runs may finish. Everything else is the wrapped colorizer's."""

    def __init__(self, inner, gate: str):
        self.inner, self.gate = inner, gate

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def colorize(self, *args, **kwargs):
        deadline = time.monotonic() + 300  # a forgotten gate fails the run instead of hanging the worker
        while not os.path.exists(self.gate):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gate {self.gate} never opened")
            time.sleep(0.05)
        return self.inner.colorize(*args, **kwargs)


def gated_colorizer():
    """colorizer(), held at the gate named by the RUN_GATE environment variable (worker processes)."""
    return _Gated(colorizer(), os.environ["RUN_GATE"])


# ---------------------------------------------------------------------------------------------------------
# Helpers shared by tests/test_run*.py, test_version*.py, test_review*.py, test_export*.py, test_iiif*.py

COLORIZER_PATH = "tests.test_run_support.colorizer"


def make_photo(collection, user, width=64, height=48, seed=0, fmt="PNG", mode="L", **metadata):
    """A real ingested photo (archive.services.ingest.do_ingest_photo) of a small synthetic grayscale image."""
    import io

    from archive.services.ingest import do_ingest_photo
    from tests.factories import gray_image_bytes

    data = gray_image_bytes(width, height, fmt=fmt, mode=mode, seed=seed)
    return do_ingest_photo(
        user, collection, io.BytesIO(data), f"photo-{seed}.{fmt.lower()}", metadata or None
    )


def add_hint(photo, user, x=0.5, y=0.5, color="#b22222", verified_by=None, **fields):
    """A hint row as the room would store it (verified when verified_by is given)."""
    from django.utils import timezone

    from colorize.models import Hint

    hint = Hint(
        photo=photo, x=x, y=y, created_by=user, evidence_note=fields.pop("evidence_note", "archive note")
    )
    hint.set_color(color)
    for key, value in fields.items():
        setattr(hint, key, value)
    if verified_by is not None:
        hint.status = "verified"
        hint.verified_by = verified_by
        hint.verified_at = timezone.now()
    hint.save()
    return hint


def run_now(user, photo, data=None):
    """Create a run and execute its job at once (the sync backend, as in production after the commit)."""
    from colorize.services.runs.execute import execute_run
    from colorize.services.runs.request import do_create_run

    run = do_create_run(user, photo, data or {})
    execute_run(run.pk)
    run.refresh_from_db()
    return run
