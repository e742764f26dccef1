"""Colour reference photos (docs/adaptation.md): a collection's own (period colour photographs that its curators
add so its adaptation learns its colours) and the shared ones of an era and/or situation. Check then do; every
change queues the adaptation rebuild of its scope after the commit."""

import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from archive import imaging
from archive.access import as_pk, check_role
from archive.models import Era, Situation
from colorize.models import ReferencePhoto
from colorize.services import adaptation
from config.api import NotFound, ServiceError, invalid


def list_references(user, collection) -> list[ReferencePhoto]:
    check_role(user, collection, Role.VIEWER)
    return list(
        ReferencePhoto.objects.filter(collection=collection).select_related("added_by", "era", "situation")
    )


def clean_reference_image(upload, field: str) -> imaging.Reencoded:
    """A colour reference upload through the archive's intake (format sniffed, pixel limits, re-encoded), or a
    ServiceError naming `field` (the one rule for reference photos and a run's uploaded reference)."""
    try:
        return imaging.check_reference_upload(upload)
    except imaging.ImageRejected as exc:
        raise ServiceError(
            exc.code, exc.message, fields={field: [exc.message]}, status_code=exc.status_code
        ) from None


def _upload_sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_add_reference(user, collection, data, files) -> tuple[imaging.Reencoded, str]:
    """The curator's role, then the image (format sniffed, pixel limits, re-encoded) and its SHA-256."""
    check_role(user, collection, Role.CURATOR)
    upload = files.get("image") or files.get("file")
    if upload is None:
        raise invalid({"image": _("a colour image is required")})
    for name, limit in (("title", 300), ("source", 500)):
        if len(str(data.get(name, ""))) > limit:
            raise invalid({name: _("at most %(n)s characters") % {"n": limit}})
    return clean_reference_image(upload, "image"), _upload_sha256(upload)


def _duplicate(existing: ReferencePhoto) -> ServiceError:
    return ServiceError(
        "duplicate",
        _("this image is already colour reference %(id)s of the collection") % {"id": existing.pk},
        fields={"image": [_("already a colour reference of this collection")]},
        status_code=409,
    )


def do_add_reference(user, collection, data, files) -> ReferencePhoto:
    clean, sha256 = check_add_reference(user, collection, data, files)
    existing = ReferencePhoto.objects.filter(collection=collection, sha256=sha256).first()
    if existing is not None:
        raise _duplicate(existing)
    ref = ReferencePhoto(
        collection=collection,
        sha256=sha256,
        title=str(data.get("title", ""))[:300],
        source=str(data.get("source", ""))[:500],
        added_by=user,
    )
    ref.image.save(f"reference{clean.extension}", ContentFile(clean.content), save=False)
    try:
        with transaction.atomic():
            ref.save()
            adaptation.enqueue_for_reference(ref)
    except IntegrityError:
        ref.image.delete(save=False)  # nothing half-stored
        existing = ReferencePhoto.objects.filter(collection=collection, sha256=sha256).first()
        raise _duplicate(existing or ref) from None
    return ref


def get_reference_for(user, pk, minimum: Role = Role.VIEWER) -> ReferencePhoto:
    """A collection's reference for `user` (outsiders: the one NotFound). Shared era/situation references are
    not managed here."""
    ref = ReferencePhoto.objects.select_related("collection").filter(pk=as_pk(pk)).first()
    if ref is None or ref.collection is None:
        raise NotFound()
    check_role(user, ref.collection, minimum)
    return ref


def do_remove_reference(user, pk) -> None:
    ref = get_reference_for(user, pk, Role.CURATOR)
    with transaction.atomic():
        ref.delete()  # its image goes after the commit (colorize.apps: files go with the row)
        adaptation.enqueue_for_reference(ref)


# ------------------------------------------------------------------------------------------- shared references


def check_shared_reference_author(user) -> None:
    """Curators (of any collection) may attach colour references to the shared era/situation vocabularies."""
    if user is None or not user.is_authenticated:
        raise ServiceError("not_authenticated", _("sign in to do this"), status_code=401)
    if user.is_superuser or user.owned_collections.exists():
        return
    if not Membership.objects.filter(user=user, role__gte=Role.CURATOR).exists():
        raise ServiceError(
            "permission_denied", _("this needs the curator role in a collection"), status_code=403
        )


def _vocabulary(data, errors: dict):
    era = situation = None
    if data.get("era"):
        era = Era.objects.filter(slug=data["era"]).first()
        if era is None:
            errors["era"] = [_("unknown era %(slug)s") % {"slug": repr(data["era"])}]
    if data.get("situation"):
        situation = Situation.objects.filter(slug=data["situation"]).first()
        if situation is None:
            errors["situation"] = [_("unknown situation %(slug)s") % {"slug": repr(data["situation"])}]
    if not data.get("era") and not data.get("situation"):
        errors["era"] = [_("attach the reference to an era and/or a situation")]
    return era, situation


def do_add_shared_reference(user, data, files) -> ReferencePhoto:
    """A colour reference of an era and/or situation (POST /api/references/): it feeds that context's
    adaptations."""
    check_shared_reference_author(user)
    errors: dict = {}
    era, situation = _vocabulary(data, errors)
    upload = files.get("image")
    clean = None
    if upload is None:
        errors["image"] = [_("a colour image is required")]
    else:
        try:
            clean = imaging.check_reference_upload(upload)
        except imaging.ImageRejected as exc:
            errors["image"] = [exc.message]
    if errors:
        raise invalid(errors)
    with transaction.atomic():
        ref = ReferencePhoto(
            title=str(data.get("title", ""))[:300],
            source=str(data.get("source", ""))[:500],
            era=era,
            situation=situation,
            sha256=_upload_sha256(upload),
            added_by=user,
        )
        # The stored name and extension come from the re-encoded content, never from the client.
        ref.image.save(f"reference{clean.extension}", ContentFile(clean.content), save=False)
        ref.save()
        adaptation.enqueue_for_reference(ref)
    return ref
