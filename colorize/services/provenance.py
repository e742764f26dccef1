"""Provenance of an export: everything it says about itself, as JSON (the sidecar), and the source of the XMP
(colorize/services/xmp.py) that colorize/services/export.py embeds in the image.

The account is plain-language English: model and version, hints and who verified them, the source photo's
identifier and SHA-256, the repair step before colour, the review state; the original's Dublin Core fields
ride along (dates as ISO 8601 in `date_iso`, the display form in `date`). An export is refused when the
original's bytes no longer match its recorded SHA-256.
"""

import calendar
import hashlib

from django.utils.translation import gettext

from archive import languages
from colorize.access import published_version
from colorize.models import ReviewDecision, Version
from colorize.services import signing
from config.api import ServiceError

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
FC_NS = "https://findcolor.org/ns/provenance/1.0/"
MAX_CAPTION = 8000


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
        + adaptation_account(adaptation_provenance(version))
        + repair_account(repair_provenance(version))
        + review
    )


def adaptation_provenance(version: Version) -> dict:
    """Which adaptation (docs/adaptation.md) guided the colours: {"used": True, checksum, references, the
    held-out figure, ...} or {"used": False} (with "refused" when a stored one was refused at run time)."""
    ref = version.reference or {}
    if ref.get("kind") == "adaptation":
        keys = (
            "id",
            "scope",
            "checksum",
            "n_references",
            "n_verified_colours",
            "n_heldout",
            "delta_db",
            "variant",
        )
        return {"used": True, **{k: ref.get(k) for k in keys}}
    out: dict = {"used": False}
    if ref.get("adaptation_refused"):
        out["refused"] = ref["adaptation_refused"]
    return out


def adaptation_account(adaptation: dict) -> str:
    if not adaptation["used"]:
        return "No adaptation to a collection or context was used. "
    delta = adaptation.get("delta_db")
    held_out = (
        f"; on {adaptation['n_heldout']} held-out references it gave {delta:+.2f} dB"
        if isinstance(delta, (int, float)) and adaptation.get("n_heldout")
        else ""
    )
    how = (
        "a chroma calibration of the automatic colours fitted on them"
        if adaptation.get("variant") == "calibration"
        else "their colour profile as the model's global hint"
    )
    return (
        f"Adapted to {adaptation['scope']} by {how} (adaptation SHA-256 {str(adaptation['checksum'])[:16]}), built from "
        f"{adaptation['n_references']} colour reference photo(s) and {adaptation['n_verified_colours']} "
        f"verified colour(s) of approved restorations{held_out}. "
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
        "adaptation": adaptation_provenance(version),
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
