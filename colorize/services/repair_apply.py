"""Preview, apply and undo a repair (docs/repair.md): the repaired base is the original's grayscale at full
precision (16-bit stays 16-bit) with exactly the mask's pixels filled by ml.repair; every other pixel is the
original's own value (ml.repair's composite guarantee, checked again here before storing). The model is reached
only through colorize/services/model.py (get_repairer, load_gray).
"""

import hashlib
import logging
import uuid

import numpy as np
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from accounts.models import Role
from archive.access import check_role
from archive.models import Photo
from colorize.models import RepairedBase, RepairMask
from colorize.services import events, model
from colorize.services.repair import base_json, check_can_repair, check_revision, conflict
from colorize.services.repair_masks import check_mask_content, load_mask, mask_png, png_bytes
from config.api import ServiceError, invalid
from config.storage import delete_quietly

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------
# Preview, apply, undo


def _current_mask(photo: Photo, revision: int) -> tuple[RepairMask, np.ndarray]:
    repair_mask = RepairMask.objects.filter(photo=photo).first()
    if repair_mask is None or not repair_mask.mask:
        raise invalid({"mask": _("the mask is empty: nothing to repair")})
    if repair_mask.revision != revision:
        raise conflict(
            "mask_changed",
            _("the mask changed (revision %(now)d, you have %(yours)d); preview it again")
            % {"now": repair_mask.revision, "yours": revision},
        )
    return repair_mask, load_mask(repair_mask.mask)


def preview_png(user, photo: Photo, data) -> bytes:
    """The repaired working image (8-bit gray PNG, the size of photo.gray) of the given mask revision."""
    check_can_repair(user, photo)
    repair_mask, mask = _current_mask(photo, check_revision(data))
    check_mask_content(mask)
    with photo.gray.open("rb") as handle, Image.open(handle) as image:
        gray = model.gray_array(image, turn=False)
    if gray.shape != mask.shape:
        raise conflict("mask_size", _("the mask does not fit the working image; find damage again"))
    return png_bytes(_repairer().repair(gray, mask))


def _repairer():
    """The model gateway's repairer, or 503 when its checkpoint is missing or fails its checksum."""
    from ml.checkpoint import CheckpointError

    try:
        return model.get_repairer()
    except (CheckpointError, OSError) as exc:
        log.error("the repair model is unavailable: %s", exc)
        raise ServiceError(
            "model_unavailable", _("the repair model is not available on this server"), status_code=503
        ) from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def do_apply(user, photo: Photo, data) -> RepairedBase:
    """Apply the previewed mask revision: a new repaired base, recorded; the previous active one is withdrawn.
    Of two people applying the same revision, one wins and the other gets 409 (the mask row is locked)."""
    from colorize.services.provenance import file_sha256

    check_can_repair(user, photo)
    revision = check_revision(data)
    repair_mask, mask = _current_mask(photo, revision)
    check_mask_content(mask)
    if repair_mask.applied_revision == revision:
        raise conflict("already_applied", _("this mask is already applied"))
    if file_sha256(photo.original) != photo.sha256:
        raise conflict("original_changed", _("the original's bytes no longer match its recorded SHA-256"))
    repairer = _repairer()
    gray = model.load_gray(photo)
    if gray.shape != mask.shape:
        raise conflict("mask_size", _("the mask does not fit the working image; find damage again"))
    repaired = repairer.repair(gray, mask)
    if not np.array_equal(repaired[~mask], gray[~mask]):  # ml.repair's guarantee, kept on the record
        raise RuntimeError("the repairer changed pixels outside the mask")
    image_png, mask_bytes = png_bytes(repaired), mask_png(mask)
    pixels = int(mask.sum())
    written = []
    try:
        with transaction.atomic():
            locked = RepairMask.objects.select_for_update().get(pk=repair_mask.pk)
            if locked.revision != revision:
                raise conflict("mask_changed", _("the mask changed while you applied it; preview it again"))
            if locked.applied_revision == revision:
                raise conflict("already_applied", _("someone else applied this mask just now"))
            now = timezone.now()
            RepairedBase.objects.filter(photo=photo, withdrawn_at__isnull=True).update(
                withdrawn_at=now, withdrawn_by=user
            )
            number = (RepairedBase.objects.filter(photo=photo).aggregate(n=Max("number"))["n"] or 0) + 1
            base = RepairedBase(
                photo=photo,
                number=number,
                image_sha256=_sha256(image_png),
                mask_sha256=_sha256(mask_bytes),
                mask_revision=revision,
                mask_source=locked.base_source,
                width=mask.shape[1],
                height=mask.shape[0],
                pixels=pixels,
                share=pixels / mask.size,
                model_name=repairer.model_name,
                model_version=repairer.model_version,
                model_checksum=repairer.checksum,
                source_sha256=photo.sha256,
                applied_by=user,
                applied_at=now,
            )
            base.image.save(f"base-{number}-{uuid.uuid4().hex[:8]}.png", ContentFile(image_png), save=False)
            written.append((base.image.storage, base.image.name))
            base.mask.save(
                f"base-{number}-mask-{uuid.uuid4().hex[:8]}.png", ContentFile(mask_bytes), save=False
            )
            written.append((base.mask.storage, base.mask.name))
            base.save()
            locked.applied_revision = revision
            locked.save(update_fields=["applied_revision"])
            events.broadcast(photo.pk, {"type": "repair.applied", "base": base_json(base)})
    except (ServiceError, IntegrityError) as exc:
        for storage, name in written:
            delete_quietly(storage, name)
        if isinstance(exc, IntegrityError):
            raise conflict("already_applied", _("someone else applied a repair just now")) from None
        raise
    return base


def do_undo_repair(user, photo: Photo) -> RepairedBase:
    """Withdraw the active repaired base: runs colour the original again; versions keep the base they used."""
    check_role(user, photo.collection, Role.CURATOR)
    with transaction.atomic():
        Photo.objects.select_for_update().filter(pk=photo.pk).first()
        base = RepairedBase.objects.select_for_update().filter(photo=photo, withdrawn_at__isnull=True).first()
        if base is None:
            raise conflict("no_repair", _("the photo has no applied repair to undo"))
        base.withdrawn_at, base.withdrawn_by = timezone.now(), user
        base.save(update_fields=["withdrawn_at", "withdrawn_by"])
        RepairMask.objects.filter(photo=photo).update(applied_revision=None)
        events.broadcast(photo.pk, {"type": "repair.undone", "base": base_json(base)})
    return base
