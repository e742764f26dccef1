"""Repair before colour (docs/repair.md, "Platform"): the JSON of its resources (the one contract of REST and
the workspace), who may repair, and the IIIF annotations of repaired bases. The work is done in
colorize/services/repair_masks.py (the draft mask: strokes, uploads, mask files), repair_scan.py (find damage,
a background job) and repair_apply.py (preview, apply, undo). `check_*` validate and authorize, `do_*` store.

Masks are 8-bit PNGs the size of the photo's working image (the original as shown, i.e. photo.width x
photo.height, the size of its gray derivative), 255 = damaged, 0 = original.
"""

from django.utils.translation import gettext as _

from accounts.models import Role
from archive.access import check_role
from archive.models import DerivativeStatus, Photo
from colorize.models import DamageScan, RepairedBase, RepairMask, RepairStroke
from config.api import ServiceError, invalid

# ---------------------------------------------------------------------------------------------------------
# JSON (the one contract of these resources: REST and the workspace)


def _user(user) -> str | None:
    return user.username if user is not None else None


def scan_json(scan: DamageScan) -> dict:
    return {
        "id": scan.pk,
        "photo": scan.photo_id,
        "status": scan.status,
        "progress": scan.progress,
        "error": scan.error,
        "pixels": scan.pixels,
        "model": {"name": scan.model_name, "version": scan.model_version, "checksum": scan.model_checksum},
        "requested_by": _user(scan.requested_by),
        "created_at": scan.created_at.isoformat(),
        "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
    }


def mask_json(mask: RepairMask | None) -> dict | None:
    if mask is None:
        return None
    total = max(1, mask.width * mask.height)
    return {
        "revision": mask.revision,
        "generation": mask.generation,
        "source": mask.base_source,
        "scan": mask.scan_id,
        "width": mask.width,
        "height": mask.height,
        "pixels": mask.pixels,
        "share": mask.pixels / total,
        "applied": mask.applied_revision is not None and mask.applied_revision == mask.revision,
        "url": f"/api/photos/{mask.photo_id}/repair/mask.png?revision={mask.revision}",
        "updated_by": _user(mask.updated_by),
        "updated_at": mask.updated_at.isoformat(),
    }


def stroke_json(stroke: RepairStroke) -> dict:
    return {
        "id": stroke.pk,
        "action": stroke.action,
        "points": stroke.points,
        "radius": stroke.radius,
        "revision": stroke.revision,
        "generation": stroke.generation,
        "created_by": _user(stroke.created_by),
        "created_at": stroke.created_at.isoformat(),
        "undone": stroke.undone_at is not None,
        "undone_by": _user(stroke.undone_by),
    }


def base_json(base: RepairedBase) -> dict:
    return {
        "id": base.pk,
        "photo": base.photo_id,
        "number": base.number,
        "active": base.active,
        "width": base.width,
        "height": base.height,
        "pixels": base.pixels,
        "share": base.share,
        "mask_revision": base.mask_revision,
        "mask_source": base.mask_source,
        "image_sha256": base.image_sha256,
        "mask_sha256": base.mask_sha256,
        "source_sha256": base.source_sha256,
        "model": {"name": base.model_name, "version": base.model_version, "checksum": base.model_checksum},
        "applied_by": _user(base.applied_by),
        "applied_at": base.applied_at.isoformat(),
        "withdrawn_by": _user(base.withdrawn_by),
        "withdrawn_at": base.withdrawn_at.isoformat() if base.withdrawn_at else None,
        "mask_url": f"/api/repaired-bases/{base.pk}/mask.png",
        "image_url": f"/api/repaired-bases/{base.pk}/image.png",
    }


def active_base(photo) -> RepairedBase | None:
    """The photo's repaired base that runs colour now (None: the original)."""
    photo_id = photo.pk if isinstance(photo, Photo) else photo
    return RepairedBase.objects.filter(photo_id=photo_id, withdrawn_at__isnull=True).first()


def state_json(photo: Photo) -> dict:
    mask = RepairMask.objects.select_related("updated_by").filter(photo=photo).first()
    scan = DamageScan.objects.select_related("requested_by").filter(photo=photo).first()
    bases = RepairedBase.objects.filter(photo=photo).select_related("applied_by", "withdrawn_by")
    active = next((b for b in bases if b.active), None)
    return {
        "photo": photo.pk,
        "width": photo.width,
        "height": photo.height,
        "mask": mask_json(mask),
        "scan": scan_json(scan) if scan else None,
        "bases": [base_json(b) for b in bases],
        "active_base": active.pk if active else None,
    }


# ---------------------------------------------------------------------------------------------------------
# Checks


def conflict(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status_code=409)


def check_can_repair(user, photo: Photo) -> None:
    """Curators and above, on a photo whose working image exists (409 while it is still being processed)."""
    check_role(user, photo.collection, Role.CURATOR)
    if photo.derivatives_status != DerivativeStatus.READY or not photo.gray:
        raise conflict("photo_processing", _("the photo is still being processed; try again in a moment"))


def check_revision(data) -> int:
    value = data.get("revision")
    if value in (None, ""):
        raise invalid({"revision": _("give the mask revision you previewed")})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid({"revision": _("must be an integer")}) from None


# ---------------------------------------------------------------------------------------------------------
# IIIF


def iiif_annotations(photo: Photo, page_id: str, canvas: str, absolute) -> list[dict]:
    """W3C annotations of the photo's repairs that matter to its readers: the base of its published version and
    its active base. Each carries the mask (an 8-bit PNG, 255 = repaired: those pixels are invented, not
    original detail) and names the model and the share of pixels. `absolute(url)` makes a URL absolute."""
    from colorize.access import published_version

    bases = []
    published = published_version(photo)
    if published is not None and published.run.base_id:
        bases.append(published.run.base)
    current = active_base(photo)
    if current is not None and all(b.pk != current.pk for b in bases):
        bases.append(current)
    items = []
    for base in bases:
        text = (
            f"Repaired before colour: {base.share * 100:.2f}% of the pixels ({base.pixels}), marked as damage, "
            f"were filled by the model {base.model_name} {base.model_version}. They are invented, not original "
            f"detail; the mask shows where (white = repaired)."
        )
        items.append(
            {
                "id": f"{page_id}#repair-{base.number}",
                "type": "Annotation",
                "motivation": "describing",
                "created": base.applied_at.isoformat(),
                "creator": {
                    "type": "Person",
                    "nickname": base.applied_by.username if base.applied_by_id else "?",
                },
                "body": [
                    {"type": "TextualBody", "purpose": "describing", "value": text, "language": "en"},
                    {
                        "id": absolute(f"/api/repaired-bases/{base.pk}/mask.png"),
                        "type": "Image",
                        "format": "image/png",
                        "width": base.width,
                        "height": base.height,
                        "label": {"en": [f"repair mask {base.number}"]},
                    },
                ],
                "target": canvas,
            }
        )
    return items
