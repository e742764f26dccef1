"""Errors shared by the archive services."""

from config.api import ServiceError


class DuplicatePhoto(ServiceError):
    def __init__(self, existing):
        super().__init__(
            "duplicate",
            f"this file is already in the collection as photo {existing.pk} (same SHA-256)",
            fields={"file": [f"duplicate of photo {existing.pk}"]},
            status_code=409,
        )
        self.existing_id = existing.pk


def invalid(fields: dict[str, str]) -> ServiceError:
    return ServiceError(
        "invalid",
        "; ".join(f"{name}: {message}" for name, message in fields.items()),
        fields={name: [message] for name, message in fields.items()},
    )
