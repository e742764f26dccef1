"""Errors shared by the archive services."""

from django.utils.translation import gettext as _

from config.api import ServiceError


class DuplicatePhoto(ServiceError):
    def __init__(self, existing):
        super().__init__(
            "duplicate",
            _("this file is already in the collection as photo %(id)s (same SHA-256)") % {"id": existing.pk},
            fields={"file": [_("duplicate of photo %(id)s") % {"id": existing.pk}]},
            status_code=409,
        )
        self.existing_id = existing.pk
