"""Image inspection and derivative rendering (Pillow + NumPy, no Django models).

The format is always sniffed from the content, never from a file name. The pixel count is checked from
the header before any pixel is decoded, so a decompression bomb is refused without allocating it.
Derivatives keep the original's pixel grid (no EXIF rotation), so normalized coordinates (hints) mean
the same point on the original, the gray image and the web image.
"""

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile

ACCEPTED_FORMATS = ("JPEG", "PNG", "TIFF")
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff"}
# Gray or colour modes we know how to turn into an 8-bit grayscale working image.
ACCEPTED_MODES = {
    "1",
    "L",
    "LA",
    "P",
    "PA",
    "I",
    "I;16",
    "I;16B",
    "I;16L",
    "I;16N",
    "RGB",
    "RGBA",
    "RGBX",
    "CMYK",
}
SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
THUMBNAIL_SIDE = 320
WEB_SIDE = 2048


class ImageRejected(Exception):
    """The content is not an image we accept. `code` is stable; `status_code` is the HTTP status to use."""

    def __init__(self, code: str, message: str, status_code: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    mode: str
    bit_depth: int
    page_count: int

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


class _Unclosable:
    """Pillow may close the file object it decoded; the caller still needs it (to store it)."""

    def __init__(self, raw):
        self._raw = raw

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def close(self):
        pass


def _bit_depth(image: Image.Image, header: bytes) -> int:
    if image.format == "TIFF":
        bits = image.tag_v2.get(258)  # BitsPerSample, one entry per channel
        if bits:
            return int(max(bits) if isinstance(bits, tuple | list) else bits)
    if image.format == "PNG" and header[12:16] == b"IHDR":
        return int(header[24])  # IHDR bit depth per channel
    if image.mode == "1":
        return 1
    if image.mode in SIXTEEN_BIT_MODES:
        return 16
    return 8


def inspect_image(fileobj, max_pixels: int) -> ImageInfo:
    """Identify and fully verify an image, refusing anything over `max_pixels` before decoding it.

    `fileobj` must be seekable; it is left at position 0.
    """
    fileobj.seek(0)
    header = fileobj.read(32)
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(_Unclosable(fileobj), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", f"the image has too many pixels ({exc})", 413) from exc
    except (Image.UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected(
            "unsupported_format",
            "the file is not a JPEG, PNG or TIFF image (the format is read from the content, not the name)",
            415,
        ) from exc
    try:
        width, height = image.size
        if width < 1 or height < 1:
            raise ImageRejected("invalid_image", "the image has no pixels")
        if width * height > max_pixels:
            raise ImageRejected(
                "too_many_pixels",
                f"the image is {width}×{height} = {width * height:,} pixels; the limit is {max_pixels:,}",
                413,
            )
        if image.mode not in ACCEPTED_MODES:
            raise ImageRejected(
                "unsupported_mode",
                f"pixel mode {image.mode} is not supported; use 8- or 16-bit grayscale or RGB",
                415,
            )
        page_count = int(getattr(image, "n_frames", 1) or 1)
        info = ImageInfo(
            format=image.format,
            width=width,
            height=height,
            mode=image.mode,
            bit_depth=_bit_depth(image, header),
            page_count=page_count,
        )
        # Decode every pixel of the first page so truncated or corrupt files are refused now, not later.
        # JPEG decodes at 1/8 scale (still reading the whole stream) to keep memory low.
        if image.format == "JPEG":
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
        image.load()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", f"the image has too many pixels ({exc})", 413) from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageRejected("corrupt_image", f"the image could not be decoded: {exc}") from exc
    finally:
        image.close()
        fileobj.seek(0)
    return info


def to_8bit(image: Image.Image) -> Image.Image:
    """An 8-bit L or RGB image of the first page. 16-bit gray is scaled linearly (65535 -> 255), not clipped."""
    if image.mode in SIXTEEN_BIT_MODES:
        values = np.asarray(image)
        out = np.empty(values.shape, dtype=np.uint8)
        for top in range(0, values.shape[0], 512):  # row bands: no full-size float copy of a 250 MP scan
            band = np.clip(values[top : top + 512], 0, 65535).astype(np.uint32)
            out[top : top + 512] = (band * 255 + 32767) // 65535
        return Image.fromarray(out, "L")
    if image.mode in ("1", "L"):
        return image.convert("L")
    if image.mode in ("LA", "PA"):
        return image.convert("LA").convert("L")
    if image.mode == "P":
        converted = image.convert("RGB")
        return converted.convert("L") if _is_gray(converted) else converted
    return image.convert("RGB")


def _is_gray(image: Image.Image) -> bool:
    values = np.asarray(image)
    return bool((values[..., 0] == values[..., 1]).all() and (values[..., 1] == values[..., 2]).all())


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, format="JPEG", quality=85, optimize=True)
    else:
        image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _resized(image: Image.Image, side: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def render_derivatives(fileobj, max_pixels: int) -> dict[str, bytes]:
    """thumbnail (JPEG, <= 320 px), web (JPEG, <= 2048 px) and gray (8-bit grayscale PNG, full size)."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    if previous:  # never render from a silently truncated original
        raise RuntimeError("ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(fileobj, formats=ACCEPTED_FORMATS) as image:
            if image.width * image.height > max_pixels:
                raise ImageRejected("too_many_pixels", "the image has too many pixels", 413)
            image.seek(0)
            image.load()
            working = to_8bit(image)
    gray = working if working.mode == "L" else working.convert("L")
    return {
        "thumbnail": _encode(_resized(working, THUMBNAIL_SIDE), "JPEG"),
        "web": _encode(_resized(working, WEB_SIDE), "JPEG"),
        "gray": _encode(gray, "PNG"),
    }
