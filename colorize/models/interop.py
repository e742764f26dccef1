"""Background interoperability jobs (docs/interop.md): a collection's BagIt export and a IIIF import.

One row per request, answered 202 with a status URL like a heavy ZIP upload: the job records its progress
(`processed` of `total`), a per-item `report`, and, for an export, the finished ZIP in `file`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from archive.models import JobRow

__all__ = ["InteropJob", "InteropKind"]


class InteropKind(models.TextChoices):
    BAGIT_EXPORT = "bagit_export", _("BagIt export")
    IIIF_IMPORT = "iiif_import", _("IIIF import")


def interop_file_path(job, filename):
    return f"exports/{job.collection_id}/{uuid.uuid4().hex}-{filename}"


class InteropJob(JobRow):
    collection = models.ForeignKey(
        "archive.Collection", on_delete=models.CASCADE, related_name="interop_jobs"
    )
    kind = models.CharField(max_length=20, choices=InteropKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="interop_jobs"
    )
    params = models.JSONField(default=dict, blank=True)  # the manifest URL; the base URL of links
    file = models.FileField(upload_to=interop_file_path, max_length=300, blank=True)
    byte_size = models.BigIntegerField(default=0)
    # status, total, processed, report (counts and per-item results), error, created, updated: JobRow

    def __str__(self):
        return f"{self.kind} {self.pk} ({self.status})"
