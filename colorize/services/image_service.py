"""IIIF Image API 3.0 rendering with libvips (pyvips): request parsing, pyramids, tiles (docs/interop.md).

A source image (an original or a version's result) is decoded ONCE into a pyramidal, tiled, losslessly compressed
TIFF in IIIF_CACHE_DIR (256-px tiles, each level half the one above, EXIF orientation applied, 8 bits per sample,
alpha flattened on white). Every request then reads only the tiles of the one level it needs, so a 256-px tile
of a 40 MP scan costs a few tile reads and one small resize, never a decode of the scan. Encoded answers are
kept in a bounded in-process LRU (IIIF_TILE_CACHE_BYTES), so a viewer panning back gets them from memory.

Pyramids are content-addressed (an original's SHA-256, a result's SHA-256), so they never go stale: a new file
has a new name. They are written to a temporary name and renamed, so a reader never sees half of one.

Coordinates: region x, y, w, h are in full-resolution pixels of the image as shown (orientation applied), which
are the canvas coordinates of the Presentation manifests.
"""

import collections
import logging
import math
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
TILE = 256
FORMATS = {"jpg": "image/jpeg", "png": "image/png"}
QUALITIES = ("default", "color", "gray", "bitonal")
_NUMBER = r"\d+(?:\.\d+)?"


class SourceUnreadable(Exception):
    """The stored image (or its pyramid) cannot be read or decoded: missing, truncated, corrupt."""


class ImageRequestError(Exception):
    """A request the service refuses: `status` 400 (malformed or out of range) or 404."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------------------------------------------------
# Request parsing (pure)


@dataclass(frozen=True)
class ImageRequest:
    """A parsed request: the region (full-resolution pixels), the output size, rotation, mirroring, quality
    and format; `key` is its canonical form, the tile cache key."""

    x: int
    y: int
    w: int
    h: int
    width: int
    height: int
    rotation: int
    mirror: bool
    quality: str
    format: str

    @property
    def key(self) -> str:
        mirror = "!" if self.mirror else ""
        return (
            f"{self.x},{self.y},{self.w},{self.h}/{self.width},{self.height}/{mirror}{self.rotation}/"
            f"{self.quality}.{self.format}"
        )


def parse_region(region: str, W: int, H: int) -> tuple[int, int, int, int]:
    if region == "full":
        return 0, 0, W, H
    if region == "square":
        side = min(W, H)
        return (W - side) // 2, (H - side) // 2, side, side
    pct = region.startswith("pct:")
    body = region[4:] if pct else region
    pattern = _NUMBER if pct else r"\d+"
    if not re.fullmatch(rf"{pattern},{pattern},{pattern},{pattern}", body):
        raise ImageRequestError(_("region must be full, square, x,y,w,h or pct:x,y,w,h"))
    values = [float(v) for v in body.split(",")]
    if pct:
        if any(v > 100 for v in values):
            raise ImageRequestError(_("region percentages must be at most 100"))
        x, y = round(values[0] * W / 100), round(values[1] * H / 100)
        w, h = round(values[2] * W / 100), round(values[3] * H / 100)
    else:
        x, y, w, h = (int(v) for v in values)
    if w <= 0 or h <= 0:
        raise ImageRequestError(_("the region must have a width and a height"))
    if x >= W or y >= H:
        raise ImageRequestError(_("the region lies outside the image"))
    return x, y, min(w, W - x), min(h, H - y)


def _size_max(w: int, h: int, max_area: int) -> tuple[int, int]:
    """`max`: the region itself, scaled down to max_area pixels when larger."""
    tw, th = w, h
    if w * h > max_area:
        scale = math.sqrt(max_area / (w * h))
        tw, th = max(1, int(w * scale)), max(1, int(h * scale))
    return tw, th


def _size_from_pct(pct: float, w: int, h: int) -> tuple[int, int]:
    """`pct:n`: the region scaled by n percent (n above 0)."""
    if pct <= 0:
        raise ImageRequestError(_("a size percentage must be above 0"))
    return max(1, round(w * pct / 100)), max(1, round(h * pct / 100))


def _size_from_pixels(confined: bool, sw: str, sh: str, w: int, h: int) -> tuple[int, int]:
    """`w,`, `,h`, `w,h` or `!w,h` (the digits as matched, either may be empty) for a region of w x h."""
    if not sw and not sh or confined and not (sw and sh):
        raise ImageRequestError(_("size must be max, w,, ,h, w,h, !w,h or pct:n"))
    if sw and int(sw) == 0 or sh and int(sh) == 0:
        raise ImageRequestError(_("a size must be at least 1 pixel"))
    if confined:
        scale = min(int(sw) / w, int(sh) / h)
        return max(1, round(w * scale)), max(1, round(h * scale))
    if sw and sh:
        return int(sw), int(sh)
    if sw:
        tw = int(sw)
        return tw, max(1, round(h * tw / w))
    th = int(sh)
    return max(1, round(w * th / h)), th


def parse_size(size: str, w: int, h: int, max_area: int) -> tuple[int, int]:
    """The output size for a region of w x h; without `^` it may not exceed the region (Image API 3.0 4.2)."""
    upscale = size.startswith("^")
    spec = size[1:] if upscale else size
    if spec == "max":
        return _size_max(w, h, max_area)
    if m := re.fullmatch(rf"pct:({_NUMBER})", spec):
        tw, th = _size_from_pct(float(m.group(1)), w, h)
    elif m := re.fullmatch(r"(!?)(\d*),(\d*)", spec):
        tw, th = _size_from_pixels(m.group(1) == "!", m.group(2), m.group(3), w, h)
    else:
        raise ImageRequestError(_("size must be max, w,, ,h, w,h, !w,h or pct:n"))
    if not upscale and (tw > w or th > h):
        raise ImageRequestError(_("a size larger than the region needs the ^ prefix"))
    if tw * th > max_area:
        raise ImageRequestError(_("the requested size is larger than this image service allows"))
    return tw, th


def parse(W: int, H: int, region: str, size: str, rotation: str, quality: str, fmt: str) -> ImageRequest:
    """Parse the four path segments of an image request against an image of W x H pixels."""
    x, y, w, h = parse_region(region, W, H)
    tw, th = parse_size(size, w, h, max_area(W, H))
    m = re.fullmatch(rf"(!?)({_NUMBER})", rotation)
    if not m:
        raise ImageRequestError(_("rotation must be a number of degrees, optionally after !"))
    degrees = float(m.group(2))
    if degrees > 360 or degrees % 90:
        raise ImageRequestError(_("only rotations by 0, 90, 180 or 270 degrees are supported"))
    if quality not in QUALITIES:
        raise ImageRequestError(_("quality must be default, color, gray or bitonal"))
    if fmt not in FORMATS:
        raise ImageRequestError(_("format must be jpg or png"))
    return ImageRequest(x, y, w, h, tw, th, int(degrees) % 360, m.group(1) == "!", quality, fmt)


def max_area(W: int, H: int) -> int:
    """Never more pixels than the image has (or IIIF_MAX_AREA, when smaller)."""
    return min(W * H, settings.IIIF_MAX_AREA)


def scale_factors(W: int, H: int) -> list[int]:
    """1, 2, 4, ... until one tile covers the image: the pyramid's levels."""
    factors = [1]
    while max(W, H) / factors[-1] > TILE:
        factors.append(factors[-1] * 2)
    return factors


def sizes(W: int, H: int) -> list[dict]:
    """The whole image at each pyramid level, smallest first (cheap to serve: one level, no resize)."""
    out = []
    for factor in reversed(scale_factors(W, H)):
        w, h = max(1, W // factor), max(1, H // factor)  # libvips' levels round down
        if w * h <= max_area(W, H):
            out.append({"width": w, "height": h})
    return out


# ---------------------------------------------------------------------------------------------------------
# Pyramids


def _vips():
    import pyvips

    logging.getLogger("pyvips").setLevel(logging.WARNING)  # libvips' per-operation chatter is not news
    pyvips.cache_set_max(0)  # our own caches decide; libvips' operation cache would hold whole crops
    return pyvips


_build_locks: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)
_build_locks_guard = threading.Lock()


def pyramid_path(key: str) -> Path:
    """Where the pyramid of the content `key` (a SHA-256) is kept."""
    return Path(settings.IIIF_CACHE_DIR) / key[:2] / f"{key}.tif"


def _to_8bit(image):
    """8 bits per sample, no alpha, sRGB or b-w: what JPEG and PNG answers carry."""
    if image.interpretation == "cmyk":
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    if image.format != "uchar":
        image = image.colourspace("b-w" if image.bands == 1 else "srgb")
        if image.format != "uchar":
            image = image.cast("uchar")
    if image.bands == 2:  # b-w + alpha left after an unusual flatten
        image = image.extract_band(0)
    return image


def build_pyramid(source, key: str) -> Path:
    """The pyramid for `source` (a FieldFile of an image) keyed by its SHA-256: made once, then reused.

    Concurrent first requests wait on one build in this process; another process building the same pyramid
    writes its own temporary file and the rename keeps one of the identical results.
    """
    path = pyramid_path(key)
    if path.exists():
        return path
    try:
        return _build(source, key, path)
    except (OSError, _vips().Error) as exc:
        raise SourceUnreadable(str(exc)) from exc


def on_derivatives_rendering(sender, photo, **kwargs) -> None:
    """The ingest derivative job (archive.services.ingest.derivatives_rendering) makes the original's pyramid, so
    a photo's first deep-zoom open finds it made. Never raises: a photo whose pyramid could not be made here is
    served all the same, its pyramid made on its first image request (as for photos ingested before)."""
    try:
        build_pyramid(photo.original, photo.sha256)
    except Exception:  # noqa: BLE001 (a full disk, an unreadable file: the on-demand build is the fallback)
        log.exception(
            "IIIF: the pyramid of photo %s was not made at ingest; it will be made on demand", photo.pk
        )


def build_version_pyramid(version_id: int) -> str:
    """A job, enqueued when a version is published: the pyramid of its result, before the public asks for it.
    Idempotent (a made pyramid is kept); a failure is logged and left to the on-demand build."""
    from colorize.models import Version

    version = Version.objects.filter(pk=version_id).only("pk", "result", "result_sha256").first()
    if version is None or not version.result:
        return "gone"
    try:
        build_pyramid(version.result, version.result_sha256)
    except Exception:  # noqa: BLE001
        log.exception("IIIF: the pyramid of version %s was not made; it will be made on demand", version_id)
        return "failed"
    return "ready"


def _build(source, key: str, path: Path) -> Path:
    with _build_locks_guard:
        lock = _build_locks[key]
    with lock:
        if path.exists():
            return path
        pyvips = _vips()
        path.parent.mkdir(parents=True, exist_ok=True)
        local, copied = _local_file(source, path.parent)
        try:
            image = pyvips.Image.new_from_file(local, access="sequential", fail=True)
            if image.get_typeof("orientation") and image.get("orientation") not in (0, 1):
                image = pyvips.Image.new_from_file(local, fail=True).autorot()
            image = _to_8bit(image)
            fd, tmp = tempfile.mkstemp(suffix=".tif", dir=path.parent)
            os.close(fd)
            try:
                image.tiffsave(
                    tmp,
                    tile=True,
                    tile_width=TILE,
                    tile_height=TILE,
                    pyramid=True,
                    compression="deflate",
                    predictor="horizontal",
                    level=1,
                    bigtiff=True,
                )
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        finally:
            if copied:
                os.unlink(local)
    return path


def _local_file(source, directory: Path) -> tuple[str, bool]:
    """A path libvips can open: the file itself on local storage, else a temporary copy (S3)."""
    try:
        return source.path, False
    except NotImplementedError:
        pass
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".src")
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            out.write(chunk)
    return tmp, True


# ---------------------------------------------------------------------------------------------------------
# Rendering


class _LevelCache:
    """Opened pyramid levels (a pyvips Image holds only the file handle and header until tiles are read)."""

    def __init__(self, size: int = 64):
        self.size = size
        self.items: collections.OrderedDict = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, path: Path, page: int):
        key = (str(path), page)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        image = _vips().Image.new_from_file(str(path), page=page, access="random")
        with self.lock:
            self.items[key] = image
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return image


class TileCache:
    """Encoded answers, least recently used dropped first, bounded in bytes."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0
        self.items: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            data = self.items.get(key)
            if data is not None:
                self.items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.capacity // 8:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = data
            self.used += len(data)
            while self.used > self.capacity:
                _, dropped = self.items.popitem(last=False)
                self.used -= len(dropped)


_levels = _LevelCache()
_tiles: TileCache | None = None


def tile_cache() -> TileCache:
    global _tiles
    if _tiles is None:
        _tiles = TileCache(settings.IIIF_TILE_CACHE_BYTES)
    return _tiles


def _tile_key(key: str, request: ImageRequest) -> str:
    return f"{key}/{request.key}"


def cached_tile(key: str, request: ImageRequest) -> bytes | None:
    """The encoded answer to `request` for the content `key` if the tile cache holds it (no file is touched)."""
    return tile_cache().get(_tile_key(key, request))


def render(pyramid: Path, W: int, H: int, request: ImageRequest) -> bytes:
    """The encoded answer to `request` from the pyramid of an image of W x H pixels."""
    cache_key = _tile_key(pyramid.stem, request)
    cached = tile_cache().get(cache_key)
    if cached is not None:
        return cached
    try:
        data = _render(pyramid, W, H, request)
    except _vips().Error as exc:
        raise SourceUnreadable(str(exc)) from exc
    tile_cache().put(cache_key, data)
    return data


def _render(
    pyramid: Path, W: int, H: int, request: ImageRequest
) -> bytes:  # The smallest level that still has at least as many pixels as the answer needs.
    factor = min(request.w / request.width, request.h / request.height)
    pages = _levels.get(pyramid, 0).get("n-pages")
    page = 0
    while 2 ** (page + 1) <= factor and page + 1 < pages:
        page += 1
    level = _levels.get(pyramid, page)
    fx, fy = level.width / W, level.height / H
    left, top = int(request.x * fx), int(request.y * fy)
    right = min(level.width, max(left + 1, math.ceil((request.x + request.w) * fx)))
    bottom = min(level.height, max(top + 1, math.ceil((request.y + request.h) * fy)))
    image = level.crop(left, top, right - left, bottom - top)
    if (image.width, image.height) != (request.width, request.height):
        image = image.resize(request.width / image.width, vscale=request.height / image.height)
        if (image.width, image.height) != (request.width, request.height):  # rounding: one pixel at most
            image = image.gravity("north-west", request.width, request.height, extend="copy")
    if request.mirror:
        image = image.fliphor()
    if request.rotation:
        image = image.rot(f"d{request.rotation}")
    if request.quality in ("gray", "bitonal") and image.bands > 1:
        image = image.colourspace("b-w")
    if request.quality == "bitonal":
        image = (image > 127).ifthenelse(255, 0).cast("uchar")
    if request.format == "jpg":
        return image.jpegsave_buffer(Q=85, keep="none")
    return image.pngsave_buffer(compression=3, keep="none")
