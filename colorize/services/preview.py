"""Live previews and colour suggestions for the hint rooms.

After the hints of a photo change (room revision R), the room gets a ~256 px colorization computed with the
hints as of R, debounced (ROOM_PREVIEW_DEBOUNCE_MS, 150 ms) and tagged with R. A newer revision cancels an
older preview: the older one is skipped if it has not started, aborted through the model's `cancel` callback
if it has, and never sent if it finishes late.

Where it runs (ROOM_PREVIEW_BACKEND):
- "inprocess" (embedded default): an asyncio scheduler on the event loop that serves the rooms of this
  process (`events.register_loop`, called by the consumer on connect) and one dedicated model thread, so the loop stays free
  and the in-memory channel layer is only touched from its own loop.
- "jobs" (default when JOB_BACKEND=celery, i.e. with REDIS_URL): `config.jobs.enqueue` of `run_preview_job`
  with a countdown; superseded jobs notice the newer room revision in the database and stop.
- "off": no previews.

Previews follow the hints through the hint-changed hook of colorize.services.events (registered below, when
this module is imported: colorize.apps imports it), not through a call from the hint services.
"""

import asyncio
import base64
import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.conf import settings
from django.db import close_old_connections, transaction
from PIL import Image

from colorize.models.hints import Hint, hex_to_lab, room_revision
from colorize.services import adaptation, events, model

log = logging.getLogger(__name__)

PREVIEW_SIDE = 256
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="findcolor-preview")


class Superseded(Exception):
    """A newer room revision exists: this preview is no longer wanted."""


def debounce_seconds() -> float:
    return settings.ROOM_PREVIEW_DEBOUNCE_MS / 1000.0


def backend() -> str:
    configured = settings.ROOM_PREVIEW_BACKEND
    if configured:
        return configured
    return "jobs" if settings.JOB_BACKEND == "celery" else "inprocess"


async def on_model_thread(func, *args):
    """Run `func(*args)` on the model thread (previews and suggestions take turns there, off the event loop),
    with the database connections of that thread closed before and after, as a request's are."""

    def call():
        close_old_connections()
        try:
            return func(*args)
        finally:
            close_old_connections()

    return await asyncio.get_running_loop().run_in_executor(_executor, call)


# ------------------------------------------------------------------------------------------ frames


def _png_data_url(rgb: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _error_frame(revision: int, code: str, message: str) -> dict:
    return {"type": "preview", "room_revision": revision, "error": {"code": code, "message": message}}


def compute_preview(photo_id: int, revision: int, cancel=lambda: False) -> dict | None:
    """The `preview` frame for the photo's hints at room revision `revision` (None: superseded)."""
    from archive.models import Photo

    started = time.perf_counter()
    with transaction.atomic():
        current = room_revision(photo_id)
        photo = Photo.objects.select_related("era").get(pk=photo_id)
        hints = list(Hint.objects.live().filter(photo_id=photo_id).order_by("id"))
    if current != revision or cancel():
        return None
    from ml import Cancelled

    try:
        gray = model.load_gray(photo, PREVIEW_SIDE)
        colorizer = model.get_colorizer()
        result = colorizer.colorize(
            gray,
            adaptation=adaptation.for_previews(photo),
            hints=[hint.to_ml() for hint in hints],
            max_side=PREVIEW_SIDE,
            cancel=cancel,
        )
    except Cancelled:
        return None
    except Exception as exc:
        log.exception("preview of photo %s at revision %s failed", photo_id, revision)
        return _error_frame(revision, "preview_failed", f"{type(exc).__name__}: {exc}")
    if cancel():
        return None
    rgb = result.rgb
    return {
        "type": "preview",
        "room_revision": revision,
        "image": _png_data_url(rgb),
        "width": int(rgb.shape[1]),
        "height": int(rgb.shape[0]),
        "hints": len(hints),
        "model": {
            "name": getattr(colorizer, "model_name", ""),
            "version": getattr(result, "model_version", ""),
        },
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def suggest_colors(photo_id: int, x: float, y: float, k: int = 8) -> dict:
    """The model's top colours at (x, y) given the other hints, and the sRGB gamut at its lightness.

    A hint lying on the point itself is left out: the question is which colour belongs there, and the
    answer must not echo the colour just placed (it would always win).
    """
    from archive.models import Photo

    photo = Photo.objects.get(pk=photo_id)
    hints = [
        hint.to_ml()
        for hint in Hint.objects.live().filter(photo_id=photo_id).order_by("id")
        if not hint.covers(x, y, photo.width, photo.height)
    ]
    gray = model.load_gray(photo, PREVIEW_SIDE)
    row = min(int(y * gray.shape[0]), gray.shape[0] - 1)
    col = min(int(x * gray.shape[1]), gray.shape[1] - 1)
    value = int(gray[row, col]) // (257 if gray.dtype == np.uint16 else 1)
    lightness = hex_to_lab(f"#{value:02x}{value:02x}{value:02x}")[0]
    colorizer = model.get_colorizer()
    top = colorizer.suggest(gray, point=(x, y), hints=hints, k=k, adaptation=adaptation.for_previews(photo))
    return {
        "colors": [{"color": color, "probability": round(float(p), 4)} for color, p in top],
        "lightness": round(lightness, 2),
        "gamut": list(colorizer.gamut(lightness)),
    }


# -------------------------------------------------------------------------------------- scheduling


@events.on_hint_changed
def request_preview(photo_id: int, revision: int, again: bool = False) -> None:
    """Ask for a preview of the photo at this room revision (called after the change commits; `again`: a
    page that joined later asks for the current revision's preview once more).

    In a process that serves rooms, the request is debounced on the room loop (so a burst of changes makes
    one job, not one per change); elsewhere (a WSGI process, a worker) a job is enqueued with a countdown.
    """
    mode = backend()
    if mode == "off":
        return
    loop = events.room_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_scheduler.request, photo_id, revision, again)
    elif mode == "jobs":
        _enqueue(photo_id, revision, countdown=debounce_seconds())


def _enqueue(photo_id: int, revision: int, countdown: float = 0.0) -> None:
    from config.jobs import enqueue

    enqueue(
        "colorize.services.preview.run_preview_job",
        photo_id,
        revision,
        countdown > 0,
        queue_options={"countdown": countdown} if countdown > 0 else {},
    )


class _Scheduler:
    """Debounce and cancel previews per photo; runs on the room loop, computes on the model thread."""

    def __init__(self):
        self.latest: dict[int, int] = {}
        self.timers: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task] = set()

    def request(self, photo_id: int, revision: int, again: bool = False) -> None:
        latest = self.latest.get(photo_id, 0)
        if revision < latest or (revision == latest and not again):
            return
        self.latest[photo_id] = revision
        timer = self.timers.pop(photo_id, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self.timers[photo_id] = loop.call_later(debounce_seconds(), self._start, photo_id, revision)

    def _start(self, photo_id: int, revision: int) -> None:
        self.timers.pop(photo_id, None)
        task = asyncio.get_running_loop().create_task(self._run(photo_id, revision))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def superseded(self, photo_id: int, revision: int) -> bool:
        return self.latest.get(photo_id, 0) > revision

    async def _run(self, photo_id: int, revision: int) -> None:
        if self.superseded(photo_id, revision):
            return
        loop = asyncio.get_running_loop()
        if backend() == "jobs":  # the workers compute it; publishing to the broker blocks, so not on the loop
            await loop.run_in_executor(None, _enqueue_in_thread, photo_id, revision)
            return
        try:
            frame = await on_model_thread(
                compute_preview, photo_id, revision, lambda: self.superseded(photo_id, revision)
            )
        except Exception:
            log.exception("preview of photo %s failed", photo_id)
            return
        if frame is None or self.superseded(photo_id, revision):
            return
        await events.publish(photo_id, frame)


_scheduler = _Scheduler()


def _enqueue_in_thread(photo_id: int, revision: int) -> None:
    close_old_connections()
    try:
        _enqueue(photo_id, revision)
    finally:
        close_old_connections()


def run_preview_job(photo_id: int, revision: int, debounce: bool = False) -> None:
    """Job form (workers): skip or stop when a newer room revision exists; send the frame when current."""

    if debounce and settings.JOB_BACKEND != "celery":
        time.sleep(debounce_seconds())  # Celery honours the countdown; the other backends do not
    checked = {"at": 0.0, "superseded": False}

    def cancel() -> bool:
        now = time.monotonic()
        if not checked["superseded"] and now - checked["at"] > 0.05:
            checked["at"] = now
            checked["superseded"] = room_revision(photo_id) > revision
        return checked["superseded"]

    if cancel():
        return
    frame = compute_preview(photo_id, revision, cancel=cancel)
    checked["at"] = 0.0
    if frame is not None and not cancel():
        events.send_now(photo_id, frame)
