"""Photo metadata (Dublin Core fields, era, situations): validation and update."""

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from archive import languages
from archive.access import check_role
from archive.models import Era, Photo, Situation
from archive.services.audit import as_json, record
from config.api import invalid, text_problem

METADATA_FIELDS = (
    "title",
    "description",
    "creator",
    "date_display",
    "date_from",
    "date_to",
    "place",
    "source",
    "rights",
    "identifier",
    "era",
    "situations",
    "title_lang",
    "description_lang",
)
# Descriptive text and the field that records its language (detected unless the request chooses one).
LANGUAGE_FIELDS = {"title": "title_lang", "description": "description_lang"}
TEXT_FIELDS = tuple(
    f
    for f in METADATA_FIELDS
    if f not in ("date_from", "date_to", "era", "situations", *LANGUAGE_FIELDS.values())
)


def _parse_date(value, name: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 4 and text.isdigit():  # a bare year
            year = int(text)
            return datetime.date(year, 1, 1) if name == "date_from" else datetime.date(year, 12, 31)
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors[name] = _("%(value)s is not a date (use YYYY-MM-DD or YYYY)") % {"value": repr(text)}
        return None


def _split_slugs(value) -> list[str]:
    if value in (None, ""):
        return []
    items = [value] if isinstance(value, str | Situation) else list(value)
    slugs: list = []
    for item in items:
        if isinstance(item, Situation):
            slugs.append(item)
        else:
            slugs.extend(part.strip() for part in str(item).replace(";", ",").split(",") if part.strip())
    return slugs


def check_photo_metadata(data: Mapping, *, partial: bool = False, current: Photo | None = None) -> dict:
    """Validate Dublin Core fields, era slug and situation slugs. Returns model-ready values.

    `era` may be a slug or an Era; `situations` a list of slugs/Situations or a comma-separated string.
    """
    unknown = sorted(set(data) - set(METADATA_FIELDS))
    if unknown:
        raise invalid({name: _("unknown field") for name in unknown})
    errors: dict[str, str] = {}
    cleaned = _clean_texts(data, errors)
    for name in ("date_from", "date_to"):
        if name in data:
            cleaned[name] = _parse_date(data[name], name, errors)
    _clean_languages(data, cleaned, errors, current)
    date_from = cleaned.get("date_from", current.date_from if current else None)
    date_to = cleaned.get("date_to", current.date_to if current else None)
    if date_from and date_to and date_from > date_to and "date_from" not in errors:
        errors["date_to"] = _("the end of the date range is before its start")
    if "era" in data:
        cleaned["era"] = _clean_era(data["era"], errors)
    if "situations" in data:
        cleaned["situations"] = _clean_situations(data["situations"], errors)
    if errors:
        raise invalid(errors)
    return cleaned


def _clean_texts(data: Mapping, errors: dict) -> dict:
    """The text fields present in data, stripped (None: empty); too long ones are named in errors."""
    cleaned = {}
    limits = {f.name: f.max_length for f in Photo._meta.get_fields() if f.name in TEXT_FIELDS}
    for name in TEXT_FIELDS:
        if name in data:
            value = "" if data[name] is None else str(data[name]).strip()
            problem = text_problem(value, limits[name]) if limits.get(name) else None
            if problem:
                errors[name] = problem
            cleaned[name] = value
    return cleaned


def _clean_languages(data: Mapping, cleaned: dict, errors: dict, current: Photo | None) -> None:
    """The language of the title and the description: the one chosen, else detected from the text."""
    for name, lang_name in LANGUAGE_FIELDS.items():
        if name not in cleaned and lang_name not in data:
            continue
        text = cleaned.get(name, getattr(current, name, "") if current else "")
        chosen = data.get(lang_name)
        if chosen not in (None, ""):
            tag = languages.normalize_tag(chosen)
            if tag is None:
                errors[lang_name] = _("%(value)s is not a language tag (e.g. ko, en, und)") % {
                    "value": repr(chosen)
                }
            cleaned[lang_name] = (tag or "") if text else ""
        else:
            cleaned[lang_name] = languages.detect(text)


def _clean_era(era, errors: dict) -> Era | None:
    if era in (None, ""):
        return None
    if isinstance(era, Era):
        return era
    found = Era.objects.filter(slug=str(era).strip()).first()
    if found is None:
        errors["era"] = _("unknown era %(slug)s; see /api/eras/") % {"slug": repr(era)}
    return found


def _clean_situations(value, errors: dict) -> list[Situation]:
    wanted = _split_slugs(value)
    objects = [s for s in wanted if isinstance(s, Situation)]
    slugs = [s for s in wanted if not isinstance(s, Situation)]
    found = {s.slug: s for s in Situation.objects.filter(slug__in=slugs)} if slugs else {}
    missing = [s for s in slugs if s not in found]
    if missing:
        errors["situations"] = _("unknown situation(s) %(slugs)s; see /api/situations/") % {
            "slugs": ", ".join(missing)
        }
    return objects + [found[s] for s in slugs if s in found]


def do_update_photo_metadata(user, photo: Photo, data: Mapping) -> Photo:
    check_role(user, photo.collection, Role.CURATOR)
    cleaned = check_photo_metadata(data, partial=True, current=photo)
    situations = cleaned.pop("situations", None)
    before = {name: as_json(getattr(photo, name)) for name in cleaned}
    after = {name: as_json(value) for name, value in cleaned.items()}
    if situations is not None:
        before["situations"] = as_json(photo.situations.all())
        after["situations"] = as_json(situations)
    changed = sorted(name for name in after if after[name] != before[name])
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(photo, name, value)
        photo.save()
        if situations is not None:
            photo.situations.set(situations)
        if changed:
            record(
                user,
                "photo.metadata",
                photo.collection,
                photo=photo.pk,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
    return photo


BATCH_FIELDS = ("era", "situations", "place", "source", "rights", "date_display", "date_from", "date_to")
BATCH_LIMIT = 500


def check_photo_batch(user, collection, photo_ids, changes: Mapping) -> tuple[list[Photo], dict]:
    """The collection's photos named by `photo_ids` and the validated changes (curators and up)."""
    check_role(user, collection, Role.CURATOR)
    if not isinstance(photo_ids, list) or not photo_ids or len(photo_ids) > BATCH_LIMIT:
        raise invalid({"photos": _("a list of 1 to %(max)s photo ids") % {"max": BATCH_LIMIT}})
    if not isinstance(changes, Mapping) or not changes:
        raise invalid({"changes": _("name at least one field to change")})
    outside = sorted(set(changes) - set(BATCH_FIELDS))
    if outside:
        raise invalid({name: _("not changed in a batch (edit it photo by photo)") for name in outside})
    try:
        ids = {int(pk) for pk in photo_ids}
    except (TypeError, ValueError) as exc:
        raise invalid({"photos": _("photo ids are numbers")}) from exc
    photos = list(Photo.objects.filter(collection=collection, pk__in=ids).order_by("pk"))
    if len(photos) != len(ids):
        raise invalid({"photos": _("some photos are not in this collection")})
    cleaned = check_photo_metadata(changes, partial=True)
    for photo in photos:  # a date range must hold on every photo, with its own other end
        check_photo_metadata(changes, partial=True, current=photo)
    return photos, cleaned


def do_update_photos_metadata(user, collection, photo_ids, changes: Mapping) -> list[Photo]:
    """The same metadata changes on many photos of one collection, all or none."""
    photos, cleaned = check_photo_batch(user, collection, photo_ids, changes)
    situations = cleaned.pop("situations", None)
    with transaction.atomic():
        for photo in photos:
            for name, value in cleaned.items():
                setattr(photo, name, value)
            photo.save()
            if situations is not None:
                photo.situations.set(situations)
        record(
            user, "photos.batch_metadata", collection, photos=[p.pk for p in photos], fields=sorted(changes)
        )
    return photos
