"""Audit entries for collection settings, members and vocabularies: written inside the change's transaction."""

from archive.models import AuditEntry


def record(actor, action: str, collection=None, **details) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        collection=collection,
        action=action,
        details=details,
    )
