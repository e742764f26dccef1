"""Audit entries for collection settings, members, photo metadata and vocabularies: written inside the change's
transaction; read by a collection's owner (GET /api/collections/{id}/audit/, the collection's audit page)."""

import datetime

from django.db.models import Model, QuerySet

from accounts.models import Role
from archive.access import check_role
from archive.models import AuditEntry

# The families of actions, for the audit page's filter: the part of `action` before the dot.
ACTION_FAMILIES = ("collection", "member", "photo", "photos")


def record(actor, action: str, collection=None, **details) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        collection=collection,
        action=action,
        details=details,
    )


def as_json(value):
    """A field's value as JSON can store it: an entry by its slug, a date as ISO text, a set of entries as a
    sorted list of slugs."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return getattr(value, "slug", None) or value.pk
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(as_json(v) for v in value)
    return str(value)


def check_audit_reader(user, collection) -> None:
    """Owners (and superusers) read a collection's audit trail; anyone else is refused like any owner action."""
    check_role(user, collection, Role.OWNER)


def audit_entries(user, collection, filters) -> QuerySet:
    """The collection's audit entries, newest first, filtered by `action` (a family such as "member" or a full
    action such as "member.add") and `actor` (a username)."""
    check_audit_reader(user, collection)
    entries = collection.audit_entries.select_related("actor").order_by("-created_at", "-id")
    action = str(filters.get("action") or "").strip()
    if action:
        entries = (
            entries.filter(action=action)
            if "." in action
            else entries.filter(action__startswith=f"{action}.")
        )
    actor = str(filters.get("actor") or "").strip()
    if actor:
        entries = entries.filter(actor__username=actor)
    return entries
