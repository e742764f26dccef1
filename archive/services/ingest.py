"""Upload ingestion and derivatives.

Guarantees: the format is sniffed from content; byte and pixel limits are enforced before decoding; the
original is stored byte for byte with its SHA-256; a refused file leaves nothing behind (no row, no file, no
derivative); derivatives are made in the background after commit. Other apps add derivatives of their own through
the `derivatives_rendering` signal (colorize: the IIIF pyramid), sent before the photo is marked ready.
"""

import hashlib
import logging
import os
import tempfile
import unicodedata
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive import imaging
from archive.access import check_role
from archive.models import Collection, DerivativeStatus, Photo
from archive.services.errors import DuplicatePhoto
from archive.services.photos import check_photo_metadata
from config import jobs
from config.api import ServiceError
from config.storage import files_go_with_the_row

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def _spool(fileobj, max_bytes: int):
    """Copy the upload into a temporary file while hashing it; refuse it as soon as it passes max_bytes."""
    digest = hashlib.sha256()
    spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    size = 0
    if hasattr(fileobj, "seek"):
        try:
            fileobj.seek(0)
        except (OSError, ValueError):
            pass
    try:
        while True:
            chunk = fileobj.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ServiceError(
                    "file_too_large",
                    _("the file is larger than the limit of %(limit)s bytes") % {"limit": f"{max_bytes:,}"},
                    fields={"file": [_("too large")]},
                    status_code=413,
                )
            digest.update(chunk)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    if size == 0:
        spooled.close()
        raise ServiceError("empty_file", _("the file is empty"), fields={"file": [_("empty")]})
    spooled.seek(0)
    return spooled, digest.hexdigest(), size


def check_upload(user, collection: Collection) -> None:
    check_role(user, collection, Role.CURATOR)


def do_ingest_photo(user, collection: Collection, fileobj, filename: str, metadata: Mapping | None = None):
    """Store one original byte for byte and return its new Photo; raise ServiceError and store nothing if not.

    Errors: 413 file_too_large / too_many_pixels, 415 unsupported_format / unsupported_mode,
    400 corrupt_image / empty_file / invalid (metadata), 409 duplicate.
    """
    check_upload(user, collection)
    cleaned = check_photo_metadata(metadata or {})
    situations = cleaned.pop("situations", [])
    name = unicodedata.normalize("NFC", os.path.basename(str(filename or "").replace("\\", "/")))[:300]
    if not cleaned.get("title"):  # the file name without its extension, until someone gives a title
        cleaned["title"] = os.path.splitext(name)[0][: Photo._meta.get_field("title").max_length]
    spooled, sha256, size = _spool(fileobj, settings.MAX_UPLOAD_BYTES)
    with spooled:
        # A copy already here is answered from its checksum, before any pixel of it is decoded again.
        existing = Photo.objects.filter(collection=collection, sha256=sha256).first()
        if existing is not None:
            raise DuplicatePhoto(existing)
        try:
            info = imaging.inspect_image(spooled, settings.MAX_IMAGE_PIXELS)
        except imaging.ImageRejected as exc:
            raise ServiceError(
                exc.code, exc.message, fields={"file": [exc.message]}, status_code=exc.status_code
            ) from exc
        photo = Photo(
            collection=collection,
            original_name=name,
            sha256=sha256,
            byte_size=size,
            format=info.format,
            width=info.width,
            height=info.height,
            mode=info.mode,
            bit_depth=info.bit_depth,
            page_count=info.page_count,
            uploaded_by=user if user is not None and user.is_authenticated else None,
            **cleaned,
        )
        spooled.seek(0)
        stored_name = None
        try:
            with transaction.atomic():
                photo.original.save(name or sha256, File(spooled), save=False)
                stored_name = photo.original.name
                photo.save()
                if situations:
                    photo.situations.set(situations)
                jobs.enqueue("archive.services.ingest.make_derivatives", photo.pk)
        except BaseException as exc:
            if stored_name:
                photo.original.storage.delete(stored_name)
            if isinstance(exc, IntegrityError):
                existing = Photo.objects.filter(collection=collection, sha256=sha256).first()
                if existing is not None:
                    raise DuplicatePhoto(existing) from exc
            raise
    return photo


# ---------------------------------------------------------------------------------------------------------
# Photos: derivatives (a background job; idempotent)


DERIVATIVE_FIELDS = ("thumbnail", "web", "gray")
# Sent with `photo` by make_derivatives once the derivatives are stored and before the photo is marked ready, so
# what a receiver makes (colorize: the IIIF pyramid of the original) is there when the photo is first opened. A
# receiver that fails is logged and does not fail the derivatives: its own consumer must do without it.
derivatives_rendering = Signal()
DERIVATIVE_SUFFIX = {"thumbnail": "thumb.jpg", "web": "web.jpg", "gray": "gray.png"}


def make_derivatives(photo_id: int) -> str:
    """Render thumbnail, web and 8-bit gray images of one photo. Safe to run twice or concurrently."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return "gone"
    storage = photo.original.storage
    if photo.derivatives_status == DerivativeStatus.READY and all(
        getattr(photo, name) and storage.exists(getattr(photo, name).name) for name in DERIVATIVE_FIELDS
    ):
        return "ready"
    try:
        with photo.original.open("rb") as original:
            rendered = imaging.render_derivatives(original, settings.MAX_IMAGE_PIXELS)
    except Exception as exc:  # a corrupt original must not loop forever: record it
        log.exception("derivatives of photo %s failed", photo_id)
        Photo.objects.filter(pk=photo_id).update(
            derivatives_status=DerivativeStatus.FAILED, derivatives_error=str(exc)[:2000]
        )
        return "failed"
    names = {}
    for key, content in rendered.items():
        field_file = getattr(photo, key)
        wanted = f"{photo.sha256}-{DERIVATIVE_SUFFIX[key]}"
        if field_file and storage.exists(field_file.name):
            storage.delete(field_file.name)
        field_file.save(wanted, ContentFile(content), save=False)
        names[key] = field_file.name
    for receiver, outcome in derivatives_rendering.send_robust(sender=Photo, photo=photo):
        if isinstance(outcome, Exception):
            log.error("derivatives of photo %s: %r failed: %r", photo_id, receiver, outcome)
    updated = Photo.objects.filter(pk=photo_id).update(
        derivatives_status=DerivativeStatus.READY, derivatives_error="", **names
    )
    if not updated:  # the photo was deleted meanwhile: leave no orphan
        for name in names.values():
            storage.delete(name)
        return "gone"
    return "ready"


# A deleted photo (admin, collection deletion) takes its files with it, once the deletion commits.
on_photo_deleted = files_go_with_the_row("original", *DERIVATIVE_FIELDS)


def recover_derivatives(older_than: timedelta) -> list[int]:
    """Re-enqueue the derivatives of photos still `pending` after `older_than` without a change (their job was
    lost: a worker killed mid-render, a broker that was down). Idempotent: make_derivatives skips ready photos, so
    a duplicate costs one render at worst."""
    cutoff = timezone.now() - older_than
    ids = list(
        Photo.objects.filter(derivatives_status=DerivativeStatus.PENDING, updated__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    # Touch the rows, so the next sweep waits another `older_than` before trying again.
    Photo.objects.filter(pk__in=ids).update(updated=timezone.now())
    for photo_id in ids:
        jobs.enqueue("archive.services.ingest.make_derivatives", photo_id)
    if ids:
        log.info("re-enqueued the derivatives of %d pending photo(s): %s", len(ids), ids)
    return ids
