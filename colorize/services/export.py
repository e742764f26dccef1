"""Honest export: the colorized image as JPEG, PNG or TIFF, with the XMP that says what it is and how it was
made (colorize/services/xmp.py, written from colorize/services/provenance.py).

The XMP is embedded with Pillow (the maintained imaging library of the project): JPEG `xmp=` (APP1), PNG iTXt
chunk "XML:com.adobe.xmp", TIFF tag 700. Every image carries an sRGB ICC profile; TIFFs are LZW-compressed with
X/YResolution and ResolutionUnit (`exiftool -validate` is clean); a 16-bit original gets a 16-bit TIFF
(docs/export16.md). Visible marks: the optional "AI-colorized" label, and the "DRAFT" band on an unpublished
version.

The JSON sidecar is the provenance itself, plus the full hint snapshot. Image exports are signed with a C2PA
manifest when a signing certificate is configured (colorize/services/signing.py, docs/provenance.md).
"""

import functools
import io
import logging
import os
import subprocess

import numpy as np
import tifffile
from django.conf import settings
from django.utils.translation import gettext
from PIL import Image, ImageCms, ImageDraw, ImageFont, PngImagePlugin

from colorize.models import Version
from colorize.services import signing
from colorize.services.provenance import provenance
from colorize.services.xmp import xmp_packet
from config.api import invalid

log = logging.getLogger(__name__)

FORMATS = {
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "tiff": ("TIFF", "image/tiff", "tif"),
    "tif": ("TIFF", "image/tiff", "tif"),
}
# The marks written on exported images, in English and Korean (both, when EXPORT_FONT has Hangul).
AI_MARK = ("AI-colorized", "AI 채색")
DRAFT_MARK = ("DRAFT - not published", "초안 - 게시 전")
JPEG_XMP_MAX = 65000  # an APP1 segment holds 65533 bytes, including the XMP namespace header


def _label_font(size: int):
    """The marks' font: settings.EXPORT_FONT when it names a file, else a font with Hangul that fontconfig
    knows (hangul_font_file), else Pillow's built-in font, which has no Hangul. Returns (font, whether it writes
    Korean)."""
    path = settings.EXPORT_FONT
    if not (path and os.path.isfile(path)):
        path = hangul_font_file() or path
    return _load_font(path, size)


@functools.lru_cache(maxsize=1)
def hangul_font_file() -> str:
    """A font file with Korean coverage as fontconfig lists it (`fc-list :lang=ko`): Noto CJK, Nanum, UnDotum,
    whichever the machine has, bold first; "" when fontconfig is absent or knows none."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=ko", "file", "style"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    fonts = []
    for line in listed.splitlines():
        file, _, style = line.partition(":")
        if file.lower().endswith((".ttf", ".otf", ".ttc")) and os.path.isfile(file):
            fonts.append((0 if "bold" in style.lower() else 1, file))
    return min(fonts)[1] if fonts else ""


@functools.lru_cache(maxsize=32)
def _load_font(path: str, size: int):
    """Read once per font and size (exports are a hot path), and warn once about a missing font."""
    if path and os.path.isfile(path):
        return ImageFont.truetype(path, size), True
    log.warning("EXPORT_FONT %r is missing: export marks are written in English only", path)
    return ImageFont.load_default(size=size), False


def _label(image: Image.Image, texts: tuple[str, str], size: int, corner: str, fill) -> Image.Image:
    """Write a visible label in a box at the top-left or bottom-right corner. `texts` is (English, Korean): an
    exported file is read by anyone, so both are written when the font has Hangul."""
    image = image.convert("RGB")
    W, H = image.size
    font, korean = _label_font(size)
    text = " · ".join(texts) if korean else texts[0]
    draw = ImageDraw.Draw(image, "RGBA")
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(2, size // 4)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    x0, y0 = (pad, pad) if corner == "top-left" else (W - w - pad, H - h - pad)
    draw.rectangle((x0, y0, x0 + w, y0 + h), fill=fill, outline=(255, 255, 255, 230))
    draw.text((x0 + pad - left, y0 + pad - top), text, font=font, fill=(255, 255, 255, 255))
    return image


def _mark(image: Image.Image) -> Image.Image:
    """A small, visible 'AI-colorized' label in the bottom-right corner."""
    return _label(image, AI_MARK, max(10, min(image.size) // 28), "bottom-right", (0, 0, 0, 170))


@functools.cache
def srgb_icc() -> bytes:
    """An sRGB ICC profile (LittleCMS's, through Pillow) embedded in every export: the pixels are sRGB."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _draft_mark(image: Image.Image) -> Image.Image:
    """A visible 'DRAFT' band across the top-left: an unpublished version must not pass for the published one
    (the file name, XMP and sidecar say draft too)."""
    return _label(image, DRAFT_MARK, max(12, min(image.size) // 12), "top-left", (190, 20, 20, 200))


def _srgb_lightness(gray: np.ndarray) -> np.ndarray:
    """CIE L* (0..100) of sRGB-encoded gray values in 0..1 (float32 array of any shape)."""
    linear = np.where(gray <= 0.04045, gray / 12.92, ((gray + 0.055) / 1.055) ** 2.4)
    return np.where(linear > 216 / 24389, 116 * np.cbrt(linear) - 16, linear * 24389 / 27).astype(np.float32)


def sixteen_bit_tiff(
    version: Version, plain: Image.Image, marked: Image.Image, packet: bytes, icc: bytes
) -> bytes:
    """A 16-bit-per-channel RGB TIFF of a version of a 16-bit original: the lightness comes from the original's
    16-bit values (all its tonal steps, not the 8-bit render's), the colour (a*, b*) from the version; pixels
    that the marks changed (the AI label, the DRAFT band) are the marks'. Deflate-compressed, sRGB profile,
    the XMP in tag 700, 72 dpi, like the 8-bit TIFF. docs/export16.md says why and how."""
    from skimage.color import lab2rgb, rgb2lab

    with version.photo.original.open("rb") as handle, Image.open(handle) as original:
        original.load()
        if original.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
            gray = np.clip(np.asarray(original, dtype=np.float32) / 65535.0, 0, 1)
        else:
            gray = np.asarray(original.convert("L"), dtype=np.float32) / 255.0
    changed = Image.fromarray((np.asarray(marked) != np.asarray(plain)).any(axis=2))
    size = (gray.shape[1], gray.shape[0])
    if plain.size != size:  # a render at another size: its colour and marks, resampled to the original's
        plain = plain.resize(size, Image.BICUBIC)
        marked = marked.resize(size, Image.NEAREST)
        changed = changed.resize(size, Image.NEAREST)
    lab = rgb2lab(np.asarray(plain, dtype=np.float32) / 255.0).astype(np.float32)
    lab[..., 0] = _srgb_lightness(gray)
    out = np.round(np.clip(lab2rgb(lab), 0, 1) * 65535).astype(np.uint16)
    mask = np.asarray(changed)
    out[mask] = np.asarray(marked)[mask].astype(np.uint16) * 257
    buffer = io.BytesIO()
    tifffile.imwrite(
        buffer,
        out,
        photometric="rgb",
        compression="zlib",
        resolution=(72, 72),
        resolutionunit="INCH",
        metadata=None,
        extratags=[(700, "B", len(packet), packet, True), (34675, "B", len(icc), icc, True)],
    )
    return buffer.getvalue()


def export_name(version: Version, tail: str, draft: bool) -> str:
    """photo12-v3-ai-colorized.jpg; an unpublished version: photo12-v3-DRAFT-ai-colorized.jpg."""
    return f"photo{version.photo_id}-v{version.number}{'-DRAFT' if draft else ''}-{tail}"


def export_image(version: Version, fmt: str, mark: bool = False) -> tuple[bytes, str, str, dict]:
    """(bytes, mime type, file name, provenance) of the version exported as `fmt` (jpeg, png, tiff)."""
    key = (fmt or "jpeg").lower()
    if key not in FORMATS:
        raise invalid(
            {"format": gettext("jpeg, png, tiff or json")},
            message=gettext("format: use jpeg, png, tiff or json"),
        )
    pil_format, mime, ext = FORMATS[key]
    prov = provenance(version, fmt=pil_format.lower(), mark=mark)
    packet = xmp_packet(prov, mime)
    limit = len(prov["hints"]["items"])
    while pil_format == "JPEG" and len(packet) > JPEG_XMP_MAX and limit > 0:
        limit //= 2
        packet = xmp_packet(prov, mime, max_listed_hints=limit)
    with version.result.open("rb") as handle, Image.open(handle) as image:
        image.load()
        working = image.convert("RGB")
    plain = working
    if mark:
        working = _mark(working)
    if prov["export"]["draft"]:
        working = _draft_mark(working)
    buffer = io.BytesIO()
    icc = srgb_icc()
    if pil_format == "TIFF" and version.photo.bit_depth > 8:
        buffer.write(sixteen_bit_tiff(version, plain, working, packet, icc))
    elif pil_format == "JPEG":
        working.save(buffer, format="JPEG", quality=92, xmp=packet, icc_profile=icc, dpi=(72, 72))
    elif pil_format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"), zip=False)
        working.save(buffer, format="PNG", pnginfo=info, icc_profile=icc, dpi=(72, 72))
    else:  # baseline TIFF: LZW (a baseline compression), resolution tags, the XMP in tag 700
        working.save(
            buffer,
            format="TIFF",
            compression="tiff_lzw",
            tiffinfo={700: packet},
            icc_profile=icc,
            dpi=(72, 72),
        )
    name = export_name(version, f"ai-colorized.{ext}", prov["export"]["draft"])
    content = buffer.getvalue()
    if prov["export"]["c2pa"]["embedded"]:
        content = signing.sign(content, mime, name, version, prov)
    return content, mime, name, prov
