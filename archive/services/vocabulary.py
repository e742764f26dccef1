"""The era and situation vocabularies: reviewers and owners (of any collection) add and rename entries."""

import unicodedata
from collections.abc import Mapping

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from archive.models import Collection, Era, Situation
from archive.services.audit import record
from archive.services.errors import invalid as _invalid
from config.api import ServiceError

KINDS = {"era": Era, "situation": Situation}


def can_edit_vocabularies(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or Collection.objects.filter(owner=user).exists()
        or Membership.objects.filter(user=user, role__gte=Role.REVIEWER).exists()
    )


def check_vocabulary_editor(user) -> None:
    if not can_edit_vocabularies(user):
        raise ServiceError(
            "permission_denied", _("only reviewers and owners edit the eras and situations"), status_code=403
        )


def _year(value, name: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[name] = _("a year, like 1945")
        return None


def check_entry_data(kind: str, data: Mapping, *, partial: bool) -> dict:
    cleaned: dict = {}
    errors: dict = {}
    if "name" in data or not partial:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = _("a name is needed")
        elif len(name) > 100:
            errors["name"] = _("at most %(max)s characters") % {"max": 100}
        elif any(unicodedata.category(char) == "Cc" for char in name):  # tabs, newlines, NUL, escapes
            errors["name"] = _("a name cannot hold control characters (tabs, line breaks)")
        cleaned["name"] = name
    if kind == "era":
        for field in ("year_from", "year_to"):
            if field in data:
                cleaned[field] = _year(data[field], field, errors)
        if cleaned.get("year_from") and cleaned.get("year_to") and cleaned["year_from"] > cleaned["year_to"]:
            errors["year_to"] = _("the end comes after the start")
    if errors:
        raise _invalid(errors)
    return cleaned


def do_create_entry(user, kind: str, data: Mapping):
    check_vocabulary_editor(user)
    model = KINDS[kind]
    cleaned = check_entry_data(kind, data, partial=False)
    slug = slugify(str(data.get("slug") or cleaned["name"]))[:50]
    if not slug:
        raise _invalid({"slug": _("write a name in Latin letters or give a slug")})
    if model.objects.filter(slug=slug).exists():
        raise ServiceError(
            "exists",
            (
                _("there is already an era %(slug)s")
                if kind == "era"
                else _("there is already a situation %(slug)s")
            )
            % {"slug": repr(slug)},
            fields={"slug": [_("already used")]},
            status_code=409,
        )
    with transaction.atomic():
        entry = model.objects.create(slug=slug, **cleaned)
        record(user, f"{kind}.create", None, slug=slug, **cleaned)
    return entry


def do_update_entry(user, kind: str, slug: str, data: Mapping):
    check_vocabulary_editor(user)
    # The slug as created: a slug sent as "oF" was stored (and answered) as "of", so both find the entry.
    entry = KINDS[kind].objects.filter(slug__in={slug, slugify(slug)[:50]}).first()
    if entry is None:
        raise ServiceError(
            "not_found",
            (_("no era %(slug)s") if kind == "era" else _("no situation %(slug)s")) % {"slug": repr(slug)},
            status_code=404,
        )
    cleaned = check_entry_data(kind, data, partial=True)
    before = {name: getattr(entry, name) for name in cleaned}
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(entry, name, value)
        entry.save()
        record(user, f"{kind}.update", None, slug=slug, before=before, after=cleaned)
    return entry
