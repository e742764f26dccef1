"""Image inspection and derivative rendering (Pillow + NumPy, no Django models).

The format is always sniffed from the content, never from a file name. The pixel count is checked from
the header before any pixel is decoded, so a decompression bomb is refused without allocating it.
Derivatives are turned as the original's EXIF orientation says (the original itself stays byte for byte);
the colorization job reads the original turned the same way (`oriented`), so normalized coordinates
(hints) mean the same point on the gray image, the web image and the rendered result.
"""

import io
import warnings
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

ACCEPTED_FORMATS = ("JPEG", "PNG", "TIFF")
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp"}
# Colour references (a reference photo, a run's uploaded reference) may also be WebP; they are re-encoded.
REFERENCE_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
REFERENCE_MAX_PIXELS = 100_000_000  # a colour guide needs no more; decoding more would cost gigabytes
REFERENCE_MAX_BYTES = 30 * 1024 * 1024
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

    def __init__(self, code: str, message: str, status_code: int = 400, field_message: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.field_message = message if field_message is None else field_message  # the short form, per field


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


def _pixel_limit_message(width, height, max_pixels: int) -> str:
    limit = _("the limit is %(limit)s pixels (%(mp)s MP)") % {
        "limit": f"{max_pixels:,}",
        "mp": f"{max_pixels / 1_000_000:g}",
    }
    if width and height:
        return _("the image is %(w)s×%(h)s = %(n)s pixels; %(limit)s") % {
            "w": width,
            "h": height,
            "n": f"{width * height:,}",
            "limit": limit,
        }
    return _("the image has too many pixels; %(limit)s") % {"limit": limit}


def sniff_format(header: bytes) -> str | None:
    """The format the first bytes announce (JPEG, PNG, TIFF), whatever the rest of the file holds."""
    if header.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if header[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    return None


def _open_header(fileobj, max_pixels: int, formats) -> Image.Image:
    """Image.open from the start of `fileobj` (the header only: no pixel is decoded yet). Pillow's own bomb
    check answers 413 too_many_pixels; other errors (unknown or damaged file) are the caller's to word."""
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(_Unclosable(fileobj), formats=formats)
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", _pixel_limit_message(None, None, max_pixels), 413) from exc


def _unreadable(header: bytes, exc: BaseException) -> ImageRejected:
    """Say what is wrong: an unknown format, or a known one whose structure is damaged or a bomb."""
    announced = sniff_format(header)
    text = str(exc)
    if announced == "PNG" and ("Decompressed" in text or "Too much memory" in text or "Too Large" in text):
        return ImageRejected(
            "png_text_bomb",
            _(
                "the PNG has a compressed text or profile chunk that inflates past the safe limit "
                "(a decompression bomb); save the image again without it"
            ),
        )
    if announced is not None:
        return ImageRejected(
            "corrupt_image",
            _(
                "the file starts like a %(format)s image but its structure is truncated or damaged (%(detail)s)"
            )
            % {"format": announced, "detail": text or exc.__class__.__name__},
        )
    return ImageRejected(
        "unsupported_format",
        _("the file is not a JPEG, PNG or TIFF image (the format is read from the content, not the name)"),
        415,
    )


def _display_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as the image is shown: EXIF orientations 5-8 turn it by a quarter."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001  (a broken EXIF block does not make the pixels unreadable)
        orientation = 1
    width, height = image.size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def inspect_image(fileobj, max_pixels: int) -> ImageInfo:
    """Identify and fully verify an image, refusing anything over `max_pixels` before decoding it.

    `fileobj` must be seekable; it is left at position 0. An MPO (a JPEG with extra frames, from
    stereo and some phone cameras) is a JPEG file whose first frame is the photo: it is reported as JPEG.
    Width and height are those of the image as shown (EXIF orientation applied), like its derivatives.
    """
    fileobj.seek(0)
    header = fileobj.read(32)
    try:
        image = _open_header(fileobj, max_pixels, ACCEPTED_FORMATS)
    except (Image.UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _unreadable(header, exc) from exc
    try:
        width, height = image.size
        if width < 1 or height < 1:
            raise ImageRejected("invalid_image", _("the image has no pixels"))
        if width * height > max_pixels:
            raise ImageRejected("too_many_pixels", _pixel_limit_message(width, height, max_pixels), 413)
        if image.mode not in ACCEPTED_MODES:
            raise ImageRejected(
                "unsupported_mode",
                _("pixel mode %(mode)s is not supported; use 8- or 16-bit grayscale or RGB")
                % {"mode": image.mode},
                415,
            )
        page_count = int(getattr(image, "n_frames", 1) or 1)
        shown_width, shown_height = _display_size(image)
        info = ImageInfo(
            format="JPEG" if image.format == "MPO" else image.format,
            width=shown_width,
            height=shown_height,
            mode=image.mode,
            bit_depth=_bit_depth(image, header),
            page_count=page_count,
        )
        # Decode every pixel of the first page so truncated or corrupt files are refused now, not later.
        # JPEG decodes at 1/8 scale (still reading the whole stream) to keep memory low.
        image.seek(0)
        if image.format in ("JPEG", "MPO"):
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
        image.load()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", _pixel_limit_message(width, height, max_pixels), 413) from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageRejected(
            "corrupt_image",
            _("the %(format)s image is truncated or damaged and could not be decoded (%(detail)s)")
            % {"format": "JPEG" if image.format == "MPO" else image.format, "detail": exc},
        ) from exc
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


def oriented(image: Image.Image) -> Image.Image:
    """The first page turned as its EXIF orientation says (the stored original is never changed)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001  (a broken EXIF block: show the pixels as stored)
        return image


def render_derivatives(fileobj, max_pixels: int) -> dict[str, bytes]:
    """thumbnail (JPEG, <= 320 px), web (JPEG, <= 2048 px) and gray (8-bit grayscale PNG, full size)."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    if previous:  # never render from a silently truncated original
        raise RuntimeError("ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(fileobj, formats=ACCEPTED_FORMATS) as image:
            if image.width * image.height > max_pixels:
                raise ImageRejected("too_many_pixels", _("the image has too many pixels"), 413)
            image.seek(0)
            image.load()
            working = to_8bit(oriented(image))
    gray = working if working.mode == "L" else working.convert("L")
    return {
        "thumbnail": _encode(_resized(working, THUMBNAIL_SIDE), "JPEG"),
        "web": _encode(_resized(working, WEB_SIDE), "JPEG"),
        "gray": _encode(gray, "PNG"),
    }


@dataclass(frozen=True)
class Reencoded:
    """A user-supplied image decoded and encoded again: only pixels survive, never a smuggled payload."""

    content: bytes
    format: str  # JPEG or PNG
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


def reencode_image(fileobj, max_pixels: int, formats=REFERENCE_FORMATS) -> Reencoded:
    """Decode a colour image (format sniffed from content, pixel count checked from the header first) and
    encode it again: JPEG stays JPEG (quality 95), everything else becomes PNG. EXIF orientation is applied,
    every chunk, comment and trailing byte of the upload is dropped. Raises ImageRejected.
    """
    try:
        image = _open_header(fileobj, max_pixels, formats)
    except (Image.UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected(
            "unsupported_format",
            _("the file is not a JPEG, PNG, TIFF or WebP image (the format is read from the content)"),
            415,
        ) from exc
    try:
        width, height = image.size
        if width * height > max_pixels:
            raise ImageRejected("too_many_pixels", _pixel_limit_message(width, height, max_pixels), 413)
        source_format = image.format
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        if image.mode in SIXTEEN_BIT_MODES:
            image = to_8bit(image)
        elif has_alpha:
            image = image.convert("RGBA")
        elif image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        out_format = "JPEG" if source_format in ("JPEG", "MPO") and not has_alpha else "PNG"
        buffer = io.BytesIO()
        if out_format == "JPEG":
            image.save(buffer, format="JPEG", quality=95)
        else:
            image.save(buffer, format="PNG", compress_level=6)
        return Reencoded(buffer.getvalue(), out_format, image.width, image.height)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", _pixel_limit_message(None, None, max_pixels), 413) from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageRejected("corrupt_image", _("the image could not be decoded: %s") % exc) from exc
    finally:
        image.close()
        fileobj.seek(0)


def check_reference_upload(upload, max_pixels: int | None = None) -> Reencoded:
    """A colour reference upload (reference photo, a run's reference image), checked and re-encoded."""
    if getattr(upload, "size", 0) > REFERENCE_MAX_BYTES:
        raise ImageRejected(
            "file_too_large",
            _("the reference image is larger than %(limit)s MiB") % {"limit": REFERENCE_MAX_BYTES // 2**20},
            413,
        )
    return reencode_image(upload, max_pixels or REFERENCE_MAX_PIXELS)


EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}


def check_evidence_upload(upload) -> str:
    """A hint's evidence image (stored as uploaded): a readable JPEG/PNG/WebP/TIFF of at most 10 MiB. Returns
    the file extension to store it under; raises ImageRejected ("too_large" or "invalid", 400)."""
    from PIL import UnidentifiedImageError

    if upload.size > EVIDENCE_MAX_BYTES:
        raise ImageRejected(
            "too_large", _("evidence images are at most 10 MiB"), field_message=_("too large")
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("invalid", _("not a readable image")) from None
    finally:
        upload.seek(0)
    if kind not in EVIDENCE_FORMATS:
        raise ImageRejected(
            "invalid",
            _("use JPEG, PNG, WebP or TIFF, not %(format)s") % {"format": kind},
            field_message=_("unsupported format"),
        )
    return EVIDENCE_FORMATS[kind]
