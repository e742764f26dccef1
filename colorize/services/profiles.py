"""Context profiles: the colour prior of an era and/or situation (ml.build_profile over approved restorations
and colour reference photos). A run uses the most specific profile of its context unless given a reference.

Keys: "era/situation", "era/*", "*/situation". An approved version feeds the profiles of its era, of each of
its situations, and of each era/situation pair; a reference photo feeds the profiles of what it is attached to.
Profiles marked `manual` (edited by hand in the admin) are never rebuilt automatically.
"""

import logging

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from accounts.models import Membership, Role
from archive import imaging
from archive.access import role_of
from archive.models import Collection, Era, Situation
from colorize.models import ContextProfile, ReferencePhoto, Review, ReviewDecision, Version
from colorize.models.runs import profile_key
from config import jobs
from config.api import ServiceError, invalid

log = logging.getLogger(__name__)
MAX_SOURCES = 200
SOURCE_SIDE = 256


def profile_for(era: str | None, situation: str | None) -> ContextProfile | None:
    """The most specific non-empty profile: era/situation, then era/*, then */situation."""
    keys = []
    if era and situation:
        keys.append(profile_key(era, situation))
    if era:
        keys.append(profile_key(era, None))
    if situation:
        keys.append(profile_key(None, situation))
    found = {p.key: p for p in ContextProfile.objects.filter(key__in=keys)}
    for key in keys:
        profile = found.get(key)
        if profile is not None and profile.profile:
            return profile
    return None


def _pairs_for(era: Era | None, situations) -> list[tuple]:
    pairs = []
    if era is not None:
        pairs.append((era, None))
    for situation in situations:
        pairs.append((None, situation))
        if era is not None:
            pairs.append((era, situation))
    return pairs


def _small_rgb(field_file) -> np.ndarray:
    with field_file.open("rb") as handle, Image.open(handle) as image:
        image.draft("RGB", (SOURCE_SIDE * 2, SOURCE_SIDE * 2))
        image = image.convert("RGB")
        image.thumbnail((SOURCE_SIDE, SOURCE_SIDE))
        return np.asarray(image, dtype=np.uint8)


def _sources(era: Era | None, situation: Situation | None):
    """Approved versions and reference photos that belong to this context."""
    approved = Version.objects.filter(
        pk__in=Review.objects.filter(decision=ReviewDecision.APPROVED).values("version_id")
    ).select_related("photo")
    refs = ReferencePhoto.objects.all()
    if era is not None:
        approved = approved.filter(photo__era=era)
        refs = refs.filter(era=era)
    if situation is not None:
        approved = approved.filter(photo__situations=situation)
        refs = refs.filter(situation=situation)
    return list(approved.order_by("-created_at")[:MAX_SOURCES]), list(
        refs.order_by("-created_at")[:MAX_SOURCES]
    )


def rebuild_profile(era: Era | None, situation: Situation | None) -> ContextProfile | None:
    """(Re)build one context profile from all of its sources. Returns it (None if it has no sources)."""
    import ml

    key = profile_key(era.slug if era else None, situation.slug if situation else None)
    existing = ContextProfile.objects.filter(key=key).first()
    if existing is not None and existing.manual:
        return existing
    versions, refs = _sources(era, situation)
    images, sources = [], []
    for version in versions:
        try:
            images.append(_small_rgb(version.preview or version.result))
            sources.append(
                {"kind": "version", "id": version.pk, "photo": version.photo_id, "label": str(version)}
            )
        except Exception as exc:  # noqa: BLE001 (a missing file must not block the others)
            log.warning("profile %s: skipping %s: %s", key, version, exc)
    for ref in refs:
        try:
            images.append(_small_rgb(ref.image))
            sources.append({"kind": "reference", "id": ref.pk, "label": ref.title or ref.image.name})
        except Exception as exc:  # noqa: BLE001
            log.warning("profile %s: skipping reference %s: %s", key, ref.pk, exc)
    if not images:
        return existing
    profile = ml.build_profile(images, name=key)
    with transaction.atomic():
        obj, _created = ContextProfile.objects.select_for_update().get_or_create(
            key=key, defaults={"era": era, "situation": situation}
        )
        if obj.manual:
            return obj
        obj.era, obj.situation = era, situation
        obj.profile = profile.to_dict()
        obj.sources = sources
        obj.save()
    return obj


def profiles_visible_to(user) -> list[ContextProfile]:
    """The profiles `user` may see: a profile reveals what it was built from (its sources and colours), so it is
    listed only when the user may see every version it was built from (manual profiles: always)."""
    profiles = list(ContextProfile.objects.select_related("era", "situation"))
    version_ids = {
        src["id"] for p in profiles if not p.manual for src in p.sources if src.get("kind") == "version"
    }
    collection_of = dict(Version.objects.filter(pk__in=version_ids).values_list("pk", "photo__collection_id"))
    collections = Collection.objects.in_bulk(set(collection_of.values()))
    readable = {pk for pk, c in collections.items() if role_of(user, c) is not None}

    def visible(profile) -> bool:
        if profile.manual:
            return True
        return all(
            collection_of.get(src["id"]) in readable
            for src in profile.sources
            if src.get("kind") == "version"
        )

    return [p for p in profiles if visible(p)]


def feed_profiles_from_version(version_id: int) -> list[str]:
    """Job: rebuild the profiles an approved version belongs to. Idempotent (a rebuild from all sources)."""
    version = Version.objects.select_related("photo__era").filter(pk=version_id).first()
    if version is None:
        return []
    photo = version.photo
    keys = []
    for era, situation in _pairs_for(photo.era, list(photo.situations.all())):
        profile = rebuild_profile(era, situation)
        if profile is not None:
            keys.append(profile.key)
    return keys


def feed_profiles_from_reference(reference_id: int) -> list[str]:
    """Job: rebuild the profiles a reference photo is attached to."""
    ref = ReferencePhoto.objects.select_related("era", "situation").filter(pk=reference_id).first()
    if ref is None:
        return []
    pairs = _pairs_for(ref.era, [ref.situation] if ref.situation_id else [])
    keys = []
    for era, situation in pairs:
        profile = rebuild_profile(era, situation)
        if profile is not None:
            keys.append(profile.key)
    return keys


# ---------------------------------------------------------------------------------------------------------
# Reference photos (API)


def check_reference_author(user) -> None:
    """Curators (of any collection) may attach colour references to the shared era/situation vocabularies."""
    if user is None or not user.is_authenticated:
        raise ServiceError("not_authenticated", _("sign in to do this"), status_code=401)
    if user.is_superuser or user.owned_collections.exists():
        return
    if not Membership.objects.filter(user=user, role__gte=Role.CURATOR).exists():
        raise ServiceError(
            "permission_denied", _("this needs the curator role in a collection"), status_code=403
        )


def do_add_reference(user, data, files) -> ReferencePhoto:
    check_reference_author(user)
    errors = {}
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
    upload = files.get("image")
    if upload is None:
        errors["image"] = [_("a colour image is required")]
    else:
        try:
            clean_image = imaging.check_reference_upload(upload)
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
            added_by=user,
        )
        # The stored name and extension come from the re-encoded content, never from the client.
        ref.image.save(f"reference{clean_image.extension}", ContentFile(clean_image.content), save=False)
        ref.save()
        jobs.enqueue("colorize.services.profiles.feed_profiles_from_reference", ref.pk)
    return ref
