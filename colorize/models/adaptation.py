"""Adaptations (docs/adaptation.md): what `ml.build_adaptation` made of a scope's colour references and approved
colours, with the held-out gate that decides whether runs may use it.

A scope is a collection ("collection:12") or an era/situation key ("context:korean-war/protest",
"context:korean-war/*", "context:*/protest"). Each scope has a history of rows, newest first; a run uses the
newest *finished* row of its scope when that row passed its gate, and nothing from the scope otherwise. At most
one row per scope is building at a time (a partial unique constraint), so two jobs never build the same scope.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Adaptation", "AdaptationStatus"]


class AdaptationStatus(models.TextChoices):
    BUILDING = "building", _("building")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


def adaptation_path(instance, filename):
    return f"adaptations/{uuid.uuid4().hex}.fca"


def collection_scope(collection_id: int) -> str:
    return f"collection:{collection_id}"


def context_scope(era_slug: str | None, situation_slug: str | None) -> str:
    """'context:korean-war/protest', 'context:korean-war/*' or 'context:*/protest'."""
    return f"context:{era_slug or '*'}/{situation_slug or '*'}"


class Adaptation(models.Model):
    scope = models.CharField(max_length=220, db_index=True)
    collection = models.ForeignKey(
        "archive.Collection", null=True, blank=True, on_delete=models.CASCADE, related_name="adaptations"
    )
    era = models.ForeignKey("archive.Era", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    situation = models.ForeignKey(
        "archive.Situation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=AdaptationStatus.choices, default=AdaptationStatus.BUILDING
    )
    # What it was built from: a digest of the inputs (reference SHA-256s, verified colours, the model), so an
    # unchanged scope is never rebuilt.
    inputs_digest = models.CharField(max_length=64)
    data = models.FileField(upload_to=adaptation_path, max_length=300, blank=True)  # ml Adaptation.to_bytes()
    checksum = models.CharField(max_length=64, blank=True)  # sha256 of the bytes
    model_checksum = models.CharField(max_length=128, blank=True)
    gate = models.JSONField(default=dict, blank=True)  # ml Adaptation.gate
    passed = models.BooleanField(default=False)
    n_references = models.PositiveIntegerField(default=0)
    n_verified_colours = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope"], condition=Q(status="building"), name="one_building_adaptation_per_scope"
            ),
        ]

    def __str__(self):
        return f"adaptation {self.pk} of {self.scope} ({self.status})"

    @property
    def usable(self) -> bool:
        return self.status == AdaptationStatus.DONE and self.passed and bool(self.data)
