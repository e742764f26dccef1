"""The era and situation vocabularies are global (every collection reads them), so only staff add and rename
entries: a reviewer of one collection must not rename "street" for every other collection. A name in Hangul gets a
Revised Romanization slug (hangul-romanize); an era's years are read from a name such as "(1950–1953)"."""

import re
import unicodedata
from collections.abc import Mapping

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from hangul_romanize import Transliter
from hangul_romanize.rule import academic

from archive.models import Era, Situation
from archive.services.audit import record
from config.api import ServiceError, invalid, text_problem

KINDS = {"era": Era, "situation": Situation}
# The longest name: the model's column, which the schema publishes as maxLength (the same for both kinds).
MAX_NAME = Era._meta.get_field("name").max_length


NAME_FIELDS = ("name", "name_ko", "name_en")
# "(1950–1953)", "(1950-53)", "(1945 – 1948)" at the end of a name: en dash, em dash, hyphen or tilde.
YEARS_IN_NAME = re.compile(r"\(\s*(\d{4})\s*[–—~-]\s*(\d{2}|\d{4})\s*\)\s*$")
_ROMANIZER = Transliter(academic)
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def can_edit_vocabularies(user) -> bool:
    """Staff only: the vocabularies are shared by every collection."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff)


def check_vocabulary_editor(user) -> None:
    if not can_edit_vocabularies(user):
        raise ServiceError(
            "permission_denied",
            _("the eras and situations are shared by every collection: only staff edit them"),
            status_code=403,
        )


def years_in_name(name: str) -> tuple[int, int] | None:
    """(1950, 1953) from "한국전쟁기 (1950–1953)"; a two-digit end takes the start's century ("(1945-48)")."""
    match = YEARS_IN_NAME.search(name)
    if match is None:
        return None
    start, end = match.group(1), match.group(2)
    if len(end) == 2:
        end = start[:2] + end
    return int(start), int(end)


def suggested_slug(name: str) -> str:
    """A slug for a name in any script: Hangul is romanized (Revised Romanization, letter by letter), an era's
    years in brackets join the end: "한국전쟁기 (1950–1953)" -> "hangugjeonjaenggi-1950-1953"."""
    years = years_in_name(name)
    base = YEARS_IN_NAME.sub("", name).strip() if years else name
    text = _ROMANIZER.translit(base)
    slug = slugify(text.replace("-", " "))
    if years:
        slug = "-".join(filter(None, (slug, str(years[0]), str(years[1]))))
    return slug[:50].strip("-")


def _year(value, name: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[name] = _("a year, like 1945")
        return None


def check_entry_data(kind: str, data: Mapping, *, partial: bool) -> dict:
    """`name` (in the active language) or name_ko/name_en; an era's years, given or read from its name."""
    errors: dict = {}
    cleaned = _clean_names(data, errors, partial=partial)
    if kind == "era":
        _clean_years(data, cleaned, errors)
    if errors:
        raise invalid(errors)
    return cleaned


def _clean_names(data: Mapping, errors: dict, *, partial: bool) -> dict:
    cleaned: dict = {}
    if "name" in data or not partial:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = _("a name is needed")
        cleaned["name"] = name
    for field in ("name_ko", "name_en"):
        if data.get(field):
            cleaned[field] = str(data[field]).strip()
    if HANGUL.search(cleaned.get("name") or "") and "name_ko" not in cleaned:
        # a name in Hangul is the Korean name, whatever the page's language
        cleaned["name_ko"] = cleaned.pop("name")
    for field in NAME_FIELDS:
        if cleaned.get(field) and (problem := _name_problem(cleaned[field])):
            errors[field] = problem
    return cleaned


def _name_problem(name: str) -> str | None:
    """What is wrong with a vocabulary name (in the reader's language), or None."""
    if problem := text_problem(name, MAX_NAME):
        return problem
    if any(unicodedata.category(char) == "Cc" for char in name):  # tabs, newlines, NUL, escapes
        return _("a name cannot hold control characters (tabs, line breaks)")
    return None


def _clean_years(data: Mapping, cleaned: dict, errors: dict) -> None:
    for field in ("year_from", "year_to"):
        if field in data:
            cleaned[field] = _year(data[field], field, errors)
    years = next(filter(None, (years_in_name(cleaned.get(f) or "") for f in NAME_FIELDS)), None)
    if years is not None:
        cleaned.setdefault("year_from", years[0])
        cleaned.setdefault("year_to", years[1])
    if cleaned.get("year_from") and cleaned.get("year_to") and cleaned["year_from"] > cleaned["year_to"]:
        errors["year_to"] = _("the end comes after the start")


def do_create_entry(user, kind: str, data: Mapping):
    check_vocabulary_editor(user)
    model = KINDS[kind]
    cleaned = check_entry_data(kind, data, partial=False)
    given = str(data.get("slug") or "").strip()
    name = cleaned.get("name") or cleaned.get("name_ko") or cleaned.get("name_en") or ""
    slug = slugify(given)[:50] if given else suggested_slug(name)
    if not slug:
        raise invalid({"slug": _("give a slug in Latin letters, digits and hyphens")})
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
