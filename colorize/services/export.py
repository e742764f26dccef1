"""Honest export: the colorized image with embedded XMP that says what it is and how it was made.

XMP is written with Pillow (the maintained imaging library of the project): JPEG `xmp=` (APP1), PNG iTXt
chunk "XML:com.adobe.xmp", TIFF tag 700. The packet carries

- Iptc4xmpExt:DigitalSourceType = compositeWithTrainedAlgorithmicMedia (IPTC's term for a photograph altered
  by a trained model),
- dc:description, a plain-language account (model and version, hints and who verified them, the source photo's
  identifier and SHA-256, the review state), and the original's Dublin Core fields,
- xmpMM:DerivedFrom (the original by SHA-256) and fc:* fields (https://findcolor.org/ns/provenance/1.0/) for
  machines.

Dates: dc:date and photoshop:DateCreated hold ISO 8601 dates (YYYY, YYYY-MM or YYYY-MM-DD, from date_from /
date_to); the free-text display form ("1950년 12월", "c. 1950") is fc:DateDisplay. Every image carries an sRGB
ICC profile; TIFFs are LZW-compressed with X/YResolution and ResolutionUnit (`exiftool -validate` is clean).

The JSON sidecar has the same provenance, plus the full hint snapshot. Image exports are signed with a C2PA
manifest when a signing certificate is configured (colorize/services/signing.py, docs/provenance.md).
"""

import calendar
import functools
import hashlib
import io
import logging
import os
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import tifffile
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from PIL import Image, ImageCms, ImageDraw, ImageFont, PngImagePlugin

from archive import languages
from colorize.access import published_version
from colorize.models import ReviewDecision, Version
from colorize.services import signing
from config.api import ServiceError, invalid

log = logging.getLogger(__name__)

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
FC_NS = "https://findcolor.org/ns/provenance/1.0/"
NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "fc": FC_NS,
}
FORMATS = {
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "tiff": ("TIFF", "image/tiff", "tif"),
    "tif": ("TIFF", "image/tiff", "tif"),
}
MAX_CAPTION = 8000
# The marks written on exported images, in English and Korean (both, when EXPORT_FONT has Hangul).
AI_MARK = ("AI-colorized", "AI 채색")
DRAFT_MARK = ("DRAFT - not published", "초안 - 게시 전")
JPEG_XMP_MAX = 65000  # an APP1 segment holds 65533 bytes, including the XMP namespace header
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


# ---------------------------------------------------------------------------------------------------------
# Provenance


def file_sha256(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _iso(day, whole_year: bool, whole_month: bool) -> str:
    if whole_year:
        return f"{day.year:04d}"
    if whole_month:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def iso_dates(photo) -> list[str]:
    """The photo's date as XMP dates: one value, or the two ends of a range, each as precise as the range says
    (1950-01-01..1950-12-31 is "1950", 1950-12-01..1950-12-31 is "1950-12"); [] when no date is known."""
    start, end = photo.date_from, photo.date_to
    if start is None and end is None:
        return []
    if start is None or end is None or start == end:
        return [(start or end).isoformat()]
    whole_year = (start.month, start.day) == (1, 1) and (end.month, end.day) == (12, 31)
    whole_month = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
    first, last = _iso(start, whole_year, whole_month), _iso(end, whole_year, whole_month)
    return [first] if first == last else [first, last]


def dublin_core(photo) -> dict:
    return {
        "title": photo.title,
        "title_lang": languages.language_of(photo.title, photo.title_lang),
        "description": photo.description,
        "description_lang": languages.language_of(photo.description, photo.description_lang),
        "creator": photo.creator,
        "date": photo.date_display or (photo.date_from.isoformat() if photo.date_from else ""),
        "date_iso": iso_dates(photo),
        "coverage": photo.place,
        "source": photo.source,
        "rights": photo.rights,
        "identifier": photo.identifier,
        "subject": [s for s in [photo.era.name if photo.era_id else ""] if s]
        + [s.name for s in photo.situations.all()],
    }


def c2pa_status(fmt: str | None) -> dict:
    """Whether this export carries a C2PA manifest, and why not when it does not."""
    if not signing.configured():
        return {"embedded": False, "reason": "no C2PA signing certificate is configured"}
    if fmt not in ("jpeg", "png", "tiff"):
        return {
            "embedded": False,
            "reason": "a JSON sidecar carries no manifest; the image exports are signed",
        }
    return {"embedded": True, **signing.signer_summary()}


def _approval(version: Version) -> dict:
    reviews = list(version.reviews.select_related("reviewer").order_by("created_at", "id"))
    approvals = [r for r in reviews if r.decision == ReviewDecision.APPROVED]
    published = published_version(version.photo)
    last = approvals[-1] if approvals else None
    return {
        "state": reviews[-1].decision if reviews else "draft",
        "approved": last is not None,
        "approved_by": last.reviewer.username if last and last.reviewer_id else None,
        "approved_at": last.created_at.isoformat() if last else None,
        "approval_comment": last.comment if last else "",
        "published": published is not None and published.pk == version.pk,
        "published_version": published.number if published is not None else None,
        "decisions": [
            {
                "decision": r.decision,
                "by": r.reviewer.username if r.reviewer_id else None,
                "at": r.created_at.isoformat(),
                "comment": r.comment,
                "replaced_version": r.replaced_version.number if r.replaced_version_id else None,
                "replace_reason": r.replace_reason,
            }
            for r in reviews
        ],
    }


def verified_evidence(hints: list[dict]) -> list[dict]:
    """Each verified hint with the evidence behind it (who verified, note, source, URL)."""
    return [
        {
            "hint": h.get("id"),
            "color": h.get("color"),
            "x": h.get("x"),
            "y": h.get("y"),
            "verified_by": h.get("verified_by"),
            "verified_at": h.get("verified_at"),
            "note": h.get("evidence_note") or "",
            "note_lang": languages.language_of(h.get("evidence_note") or "", h.get("evidence_note_lang")),
            "source": h.get("evidence_source") or "",
            "url": h.get("evidence_url") or "",
        }
        for h in hints
        if h.get("status") == "verified"
    ]


def account(version: Version, approval: dict, source_id: str) -> str:
    """A plain-language English account of how the version was made and who vouched for it."""
    hints = version.hints
    verified = [h for h in hints if h.get("status") == "verified"]
    verifiers = sorted({h.get("verified_by") for h in verified if h.get("verified_by")})
    rendered_by = version.created_by.username if version.created_by_id else "an unknown user"
    if approval["approved"]:
        review = f"Approved for publication by {approval['approved_by']} on {approval['approved_at'][:10]}"
        review += f': "{approval["approval_comment"]}".' if approval["approval_comment"] else "."
        if not approval["published"]:
            review += f" No longer published (version {approval['published_version']} is)."
    else:
        review = f"Not approved (review state: {approval['state']})."
    draft = (
        "" if approval["published"] else "DRAFT: this is not the published restoration of the photograph. "
    )
    return draft + (
        f"AI-colorized version {version.number} of a black-and-white photograph. The colours were added by the "
        f"trained model {version.model_name} {version.model_version} (checksum {version.model_checksum[:16]}) "
        f"through Find Color; they are an algorithmic reconstruction, not a photographic record. "
        f"Rendered by {rendered_by} on {version.created_at.date().isoformat()}. "
        f"Guided by {len(hints)} colour hint(s), {len(verified)} of them verified"
        + (f" (verified by {', '.join(verifiers)})" if verifiers else "")
        + f". Source photograph {source_id}, SHA-256 {version.photo.sha256}. "
        + repair_account(repair_provenance(version))
        + review
    )


def repair_provenance(version: Version) -> dict:
    """The repair step before colour (docs/repair.md): the repaired base the version's run coloured, or
    {"applied": False}. The repaired pixels were invented by the repair model, not photographed."""
    base = version.run.base if version.run_id else None
    if base is None:
        return {"applied": False}
    return {
        "applied": True,
        "step": "damage repair before colorization",
        "base": base.pk,
        "number": base.number,
        "model": {"name": base.model_name, "version": base.model_version, "checksum": base.model_checksum},
        "pixels": base.pixels,
        "share": base.share,
        "mask_source": base.mask_source,
        "mask_sha256": base.mask_sha256,
        "mask_url": f"/api/repaired-bases/{base.pk}/mask.png",
        "image_sha256": base.image_sha256,
        "applied_by": base.applied_by.username if base.applied_by_id else None,
        "applied_at": base.applied_at.isoformat(),
    }


def repair_account(repair: dict) -> str:
    if not repair["applied"]:
        return ""
    return (
        f"Before colour, {repair['share'] * 100:.2f}% of the pixels ({repair['pixels']}), marked as damage "
        f"(scratches, dust, stains), were repaired by the model {repair['model']['name']} "
        f"{repair['model']['version']}: those pixels are invented, not original detail; the mask (SHA-256 "
        f"{repair['mask_sha256'][:16]}) shows where. "
    )


def caption(text: str) -> str:
    """A description shortened for embedded metadata (the sidecar's Dublin Core has it in full)."""
    return text[:MAX_CAPTION].rstrip() + " …" if len(text) > MAX_CAPTION else text


def describe(version: Version, approval: dict, source_id: str) -> str:
    text = account(version, approval, source_id)
    if version.photo.description:
        text = f"{caption(version.photo.description)}\n\n{text}"
    return text


def provenance(version: Version, *, fmt: str | None = None, mark: bool = False) -> dict:
    """Everything an export says about itself, as JSON (the sidecar) — also the source of the XMP."""
    photo = version.photo
    current = file_sha256(photo.original)
    if current != photo.sha256:
        raise ServiceError(
            "original_changed",
            gettext("the original's bytes no longer match its recorded SHA-256; export refused"),
            status_code=409,
        )
    approval = _approval(version)
    source_id = photo.identifier or f"findcolor:photo:{photo.pk}"
    hints = version.hints
    verified = [h for h in hints if h.get("status") == "verified"]
    return {
        "schema": FC_NS,
        "ai_generated": True,
        "digital_source_type": DIGITAL_SOURCE_TYPE,
        "description": describe(version, approval, source_id),
        "account": {"text": account(version, approval, source_id), "language": "en"},
        "version": {
            "id": version.pk,
            "number": version.number,
            "parent": version.parent_id,
            "run": version.run_id,
            "created_by": version.created_by.username if version.created_by_id else None,
            "rendered_by": version.created_by.username if version.created_by_id else None,
            "created_at": version.created_at.isoformat(),
            "result_sha256": version.result_sha256,
            "width": version.width,
            "height": version.height,
            "params": version.params,
            "context": version.context,
            "reference": version.reference,
            "metrics": {k: v for k, v in version.metrics.items() if k != "model_hint_errors"},
        },
        "model": {
            "name": version.model_name,
            "version": version.model_version,
            "checksum": version.model_checksum,
        },
        "hints": {
            "count": len(hints),
            "verified_count": len(verified),
            "verified_by": sorted({h["verified_by"] for h in verified if h.get("verified_by")}),
            "mode": version.hints_mode,
            "verified": verified_evidence(hints),
            "items": hints,
        },
        "source": {
            "photo": photo.pk,
            "identifier": source_id,
            "sha256": photo.sha256,
            "sha256_verified_at_export": current == photo.sha256,
            "byte_size": photo.byte_size,
            "format": photo.format,
            "width": photo.width,
            "height": photo.height,
            "collection": {"id": photo.collection_id, "title": photo.collection.title},
            "dublin_core": dublin_core(photo),
        },
        "repair": repair_provenance(version),
        "review": approval,
        "export": {
            "format": fmt,
            "visible_mark": mark,
            "draft": not approval["published"],
            "draft_mark": not approval["published"] and fmt in ("jpeg", "png", "tiff"),
            "c2pa": c2pa_status(fmt),
        },
    }


# ---------------------------------------------------------------------------------------------------------
# XMP


def _lang_alt(parent, prefix, name, text, alternatives: dict | None = None):
    """An rdf:Alt: `text` as x-default, then one entry per known language (`und` and `` are left out)."""
    el = ET.SubElement(parent, _q(prefix, name))
    alt = ET.SubElement(el, _q("rdf", "Alt"))
    for lang, value in [("x-default", text), *(alternatives or {}).items()]:
        if not value or not lang or lang == languages.UNDETERMINED:
            continue
        li = ET.SubElement(alt, _q("rdf", "li"))
        li.set(XML_LANG, lang)
        li.text = value


def _title_alternatives(title: str, lang: str, number: int) -> tuple[str, dict]:
    """dc:title: x-default is the title with an English "(AI-colorized, version N)"; the title's own language
    gets the suffix in that language when the platform has it translated, else the bare title."""
    suffix = gettext_noop("(AI-colorized, version {number})")
    default = f"{title} {suffix.format(number=number)}"
    if not lang or lang == languages.UNDETERMINED:
        return default, {}
    with translation.override(lang):
        translated = gettext(suffix)
    if lang == "en" or translated != suffix:
        return default, {lang: f"{title} {translated.format(number=number)}"}
    return default, {lang: title}


def _description_alternatives(prov: dict) -> dict:
    """dc:description per language: the caption in its own language, the (English) account in English."""
    dc, acc = prov["source"]["dublin_core"], prov["account"]
    text = caption(dc["description"])
    lang = dc["description_lang"]
    out: dict[str, str] = {}
    if text and lang and lang != languages.UNDETERMINED:
        out[lang] = text
    out[acc["language"]] = (
        f"{out[acc['language']]}\n\n{acc['text']}" if acc["language"] in out else acc["text"]
    )
    return out


def _container(parent, prefix, name, kind, items):
    el = ET.SubElement(parent, _q(prefix, name))
    box = ET.SubElement(el, _q("rdf", kind))
    for item in items:
        li = ET.SubElement(box, _q("rdf", "li"))
        li.text = str(item)


def _text(parent, prefix, name, value):
    el = ET.SubElement(parent, _q(prefix, name))
    el.text = "" if value is None else str(value)


def _evidence(parent, items: list[dict]) -> None:
    """fc:HintEvidence: an rdf:Seq of structures, one per verified hint (colour, place, verifier, note in its
    language, source, URL)."""
    el = ET.SubElement(parent, _q("fc", "HintEvidence"))
    seq = ET.SubElement(el, _q("rdf", "Seq"))
    for item in items:
        li = ET.SubElement(seq, _q("rdf", "li"))
        li.set(_q("rdf", "parseType"), "Resource")
        _text(li, "fc", "Hint", item["hint"])
        _text(li, "fc", "Color", item["color"])
        _text(li, "fc", "X", f"{item['x']:.4f}")
        _text(li, "fc", "Y", f"{item['y']:.4f}")
        _text(li, "fc", "VerifiedBy", item["verified_by"] or "")
        _text(li, "fc", "VerifiedAt", item["verified_at"] or "")
        if item["note"]:
            _lang_alt(li, "fc", "Note", item["note"], {item["note_lang"]: item["note"]})
        if item["source"]:
            _text(li, "fc", "Source", item["source"])
        if item["url"]:
            _text(li, "fc", "URL", item["url"])


def _repair_fields(repair: dict) -> dict:
    """The fc: fields that name the repair step before colour (docs/repair.md): invented pixels, never original."""
    fields = {"RepairApplied": "True" if repair["applied"] else "False"}
    if repair["applied"]:
        fields.update(
            {
                "RepairStep": repair["step"],
                "RepairModelName": repair["model"]["name"],
                "RepairModelVersion": repair["model"]["version"],
                "RepairModelChecksum": repair["model"]["checksum"],
                "RepairedPixels": repair["pixels"],
                "RepairedPixelShare": f"{repair['share']:.6f}",
                "RepairMaskSHA256": repair["mask_sha256"],
            }
        )
    return fields


def xmp_packet(prov: dict, mime: str, max_listed_hints: int | None = None) -> bytes:
    """An XMP packet (UTF-8 bytes) for the provenance dict. `max_listed_hints` caps the fc:VerifiedHints list
    (JPEG's APP1 segment holds at most 64 KB; the JSON sidecar always has every hint)."""
    meta = ET.Element(_q("x", "xmpmeta"))
    rdf = ET.SubElement(meta, _q("rdf", "RDF"))
    desc = ET.SubElement(rdf, _q("rdf", "Description"))
    desc.set(_q("rdf", "about"), "")
    dc = prov["source"]["dublin_core"]
    model, hints, review, version = prov["model"], prov["hints"], prov["review"], prov["version"]

    _text(desc, "Iptc4xmpExt", "DigitalSourceType", prov["digital_source_type"])
    _text(desc, "dc", "format", mime)
    if dc["title"]:
        _lang_alt(desc, "dc", "title", *_title_alternatives(dc["title"], dc["title_lang"], version["number"]))
    else:
        _lang_alt(
            desc,
            "dc",
            "title",
            *_title_alternatives(f"Photo {prov['source']['photo']}", "en", version["number"]),
        )
    _lang_alt(desc, "dc", "description", prov["description"], _description_alternatives(prov))
    if dc["creator"]:
        _container(desc, "dc", "creator", "Seq", [dc["creator"]])
    if dc["date_iso"]:
        _container(desc, "dc", "date", "Seq", dc["date_iso"])
        _text(desc, "photoshop", "DateCreated", dc["date_iso"][0])
    if dc["rights"]:
        _lang_alt(desc, "dc", "rights", dc["rights"], {languages.detect(dc["rights"]): dc["rights"]})
    for key in ("source", "identifier", "coverage"):
        if dc[key]:
            _text(desc, "dc", key, dc[key])
    if dc["subject"]:
        _container(desc, "dc", "subject", "Bag", dc["subject"])
    _text(desc, "xmp", "CreatorTool", f"Find Color ({model['name']} {model['version']})")
    _text(desc, "xmp", "CreateDate", version["created_at"])
    derived = ET.SubElement(desc, _q("xmpMM", "DerivedFrom"))
    derived.set(_q("rdf", "parseType"), "Resource")
    _text(derived, "stRef", "documentID", f"sha256:{prov['source']['sha256']}")
    _text(derived, "stRef", "filePath", prov["source"]["identifier"])

    fc = {
        "AIGenerated": "True",
        "ModelName": model["name"],
        "ModelVersion": model["version"],
        "ModelChecksum": model["checksum"],
        "VersionNumber": version["number"],
        "ResultSHA256": version["result_sha256"],
        "HintCount": hints["count"],
        "VerifiedHintCount": hints["verified_count"],
        "SourceIdentifier": prov["source"]["identifier"],
        "SourceSHA256": prov["source"]["sha256"],
        "ReviewState": review["state"],
        "Approved": "True" if review["approved"] else "False",
        "ApprovedBy": review["approved_by"] or "",
        "ApprovedAt": review["approved_at"] or "",
        "Published": "True" if review["published"] else "False",
        "Draft": "True" if prov["export"]["draft"] else "False",
        "PublishedVersion": review["published_version"] or "",
        "RenderedBy": version["rendered_by"] or "",
        "RenderedAt": version["created_at"],
        "DateDisplay": dc["date"],
        "Era": version["context"].get("era") or "",
        "Situation": version["context"].get("situation") or "",
    }
    fc.update(_repair_fields(prov["repair"]))
    for name, value in fc.items():
        _text(desc, "fc", name, value)
    if review["approval_comment"]:
        comment = review["approval_comment"]
        _lang_alt(desc, "fc", "ApprovalComment", comment, {languages.detect(comment): comment})
    approvals = [d for d in review["decisions"] if d["decision"] == "approved"]
    if approvals and approvals[-1]["replaced_version"]:
        _text(desc, "fc", "ReplacedVersion", approvals[-1]["replaced_version"])
        _text(desc, "fc", "ReplaceReason", approvals[-1]["replace_reason"])
    _container(desc, "fc", "VerifiedBy", "Bag", hints["verified_by"])
    verified = [h for h in hints["items"] if h.get("status") == "verified"]
    evidence = hints["verified"]
    if max_listed_hints is not None and len(verified) > max_listed_hints:
        _text(desc, "fc", "VerifiedHintsNotListed", len(verified) - max_listed_hints)
        verified, evidence = verified[:max_listed_hints], evidence[:max_listed_hints]
    _evidence(desc, evidence)
    _container(
        desc,
        "fc",
        "VerifiedHints",
        "Bag",
        [
            f"{h['color']} at ({h['x']:.4f}, {h['y']:.4f}) verified by {h.get('verified_by')}"
            for h in verified
        ],
    )
    body = ET.tostring(meta, encoding="unicode")
    packet = f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{body}\n<?xpacket end="w"?>'
    return packet.encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# Image


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
