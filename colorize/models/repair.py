"""Repair before colour (issue 26, docs/repair.md "Platform"): find damage, correct the mask, apply a repaired base.

- DamageScan: one "Find damage" job (the detector of ml.repair on the photo's working image), with the run
  lifecycle's states, progress, claim and cancel. A done scan's mask becomes the photo's draft mask.
- RepairMask: the photo's draft mask (one per photo): a base (the scan's mask, an uploaded mask, or empty) with
  the live strokes of its generation painted over it, stored as an 8-bit PNG the size of the working image
  (255 = damaged). `revision` grows with every change; applying names the revision it previewed.
- RepairStroke: the append-only log of brush (add) and eraser (remove) strokes; undo marks the latest one undone.
- RepairedBase: an applied repair, immutable: the repaired working image, its mask, the model, who applied it. At
  most one per photo is active (not withdrawn); runs colour the active one. Withdrawing it ("undo repair") returns
  the photo to its original; versions made on it keep their base (Run.base).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from colorize.models.hints import MAX_REQUEST_ID
from colorize.models.runs import RunQuerySet, RunStatus

__all__ = ["DamageScan", "RepairMask", "RepairStroke", "StrokeAction", "RepairedBase"]


def repair_path(instance, filename):
    return f"repair/{instance.photo.collection_id}/{instance.photo_id}/{filename}"


class DamageScan(models.Model):
    photo = models.ForeignKey("archive.Photo", on_delete=models.CASCADE, related_name="damage_scans")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    claim = models.CharField(max_length=64, blank=True)
    mask = models.ImageField(upload_to=repair_path, max_length=300, blank=True)  # 8-bit PNG, 255 = damaged
    pixels = models.PositiveBigIntegerField(default=0)  # damaged pixels found
    model_name = models.CharField(max_length=100, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    model_checksum = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # refreshed by the detector's progress
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()  # a scan is a job like a run: .active() is queued or running

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="scan_progress_at_most_100"),
        ]

    def __str__(self):
        return f"damage scan {self.pk} of photo {self.photo_id} ({self.status})"


class RepairMask(models.Model):
    photo = models.OneToOneField("archive.Photo", on_delete=models.CASCADE, related_name="repair_mask")
    revision = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(default=0)  # a new base (scan, upload) starts a new generation
    base_source = models.CharField(max_length=10, default="empty")  # detector, upload, empty
    base = models.ImageField(upload_to=repair_path, max_length=300, blank=True)
    scan = models.ForeignKey(DamageScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mask = models.ImageField(upload_to=repair_path, max_length=300, blank=True)  # base + live strokes
    pixels = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    applied_revision = models.PositiveIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"repair mask of photo {self.photo_id} (revision {self.revision})"


class StrokeAction(models.TextChoices):
    ADD = "add", _("repair brush")
    REMOVE = "remove", _("eraser")


class RepairStroke(models.Model):
    repair_mask = models.ForeignKey(RepairMask, on_delete=models.CASCADE, related_name="strokes")
    generation = models.PositiveIntegerField()
    action = models.CharField(max_length=6, choices=StrokeAction.choices)
    points = models.JSONField()  # [[x, y], ...] in working-image pixels
    radius = models.PositiveIntegerField()
    revision = models.PositiveIntegerField()  # the mask revision this stroke made
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the room frames' idempotency keys (as hints'): a frame sent again with the same request_id by the same
    # person answers with what the first one did, instead of painting or undoing a second time
    request_id = models.CharField(max_length=MAX_REQUEST_ID, blank=True, default="")
    undo_request_id = models.CharField(max_length=MAX_REQUEST_ID, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.action} stroke {self.pk} on photo mask {self.repair_mask_id}"


class RepairedBase(models.Model):
    photo = models.ForeignKey("archive.Photo", on_delete=models.PROTECT, related_name="repaired_bases")
    number = models.PositiveIntegerField()
    image = models.FileField(upload_to=repair_path, max_length=300)  # the repaired working image (PNG)
    image_sha256 = models.CharField(max_length=64)
    mask = models.FileField(upload_to=repair_path, max_length=300)  # 8-bit PNG, 255 = repaired
    mask_sha256 = models.CharField(max_length=64)
    mask_revision = models.PositiveIntegerField()
    mask_source = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    pixels = models.PositiveBigIntegerField()
    share = models.FloatField()  # pixels / (width * height)
    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=100)
    model_checksum = models.CharField(max_length=128)
    source_sha256 = models.CharField(max_length=64)  # the original's SHA-256, checked when applied
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["photo_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "number"], name="one_repair_number_per_photo"),
            models.UniqueConstraint(
                fields=["photo"], condition=Q(withdrawn_at__isnull=True), name="one_active_repair_per_photo"
            ),
        ]

    def __str__(self):
        return f"repaired base {self.number} of photo {self.photo_id}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
