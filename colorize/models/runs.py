"""Runs, versions, reviews and colour reference photos.

A Run is one request to colorize a photo; a done run has exactly one immutable Version (the OneToOne
`Version.run` is the database's guarantee that a retried or duplicated job never makes a second one).
Reviews are an append-only log of decisions on versions; the photo's published restoration is the version of
its latest approval.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "RunStatus",
    "HintsMode",
    "Run",
    "Version",
    "ImmutableVersionError",
    "ReviewDecision",
    "Review",
    "ReferencePhoto",
]


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINAL_STATUSES = (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class HintsMode(models.TextChoices):
    VERIFIED = "verified", _("verified hints only")
    ALL = "all", _("all live hints")


# Stored user files keep only an image extension; the services name them from the detected format, and
# anything else (an old row, an admin upload) is stored as .bin, which media serving never renders.
IMAGE_EXTENSIONS = ("jpg", "png", "tif", "webp")


def safe_extension(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext if ext in IMAGE_EXTENSIONS else "bin"


def reference_path(instance, filename):
    return f"references/{uuid.uuid4().hex}.{safe_extension(filename)}"


def run_reference_path(run, filename):
    return f"runs/{run.photo_id}/reference-{uuid.uuid4().hex}.{safe_extension(filename)}"


def version_path(version, filename):
    return f"versions/{version.photo.collection_id}/{version.photo_id}/{filename}"


class RunQuerySet(models.QuerySet):
    """Rows with a RunStatus: colorization runs and damage scans."""

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)


class Run(models.Model):
    photo = models.ForeignKey("archive.Photo", on_delete=models.CASCADE, related_name="runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="colorize_runs"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)

    # What to run with.
    hints_mode = models.CharField(max_length=10, choices=HintsMode.choices, default=HintsMode.VERIFIED)
    reference = models.ForeignKey(
        "colorize.ReferencePhoto", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    reference_image = models.ImageField(upload_to=run_reference_path, max_length=300, blank=True)
    era = models.ForeignKey("archive.Era", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    situation = models.ForeignKey(
        "archive.Situation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # use_adaptation in the API (use_profile kept as its old name): false asks for a run without adaptation.
    use_profile = models.BooleanField(default=True)
    # The adaptation picked when the run was requested (docs/adaptation.md); once done, the one actually used
    # (None: none was) and its checksum.
    adaptation = models.ForeignKey(
        "colorize.Adaptation", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    adaptation_checksum = models.CharField(max_length=64, blank=True)
    options = models.JSONField(default=dict, blank=True)
    parent_version = models.ForeignKey(
        "colorize.Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="child_runs"
    )
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    # The repaired base the run colours (the photo's active one when requested); None: the original.
    base = models.ForeignKey(
        "colorize.RepairedBase", null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )

    # Bookkeeping of the job.
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claim = models.CharField(max_length=64, blank=True)  # token of the execution that holds the run
    job_id = models.CharField(max_length=200, blank=True)  # celery task id of the current claim, if any
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="run_progress_at_most_100"),
        ]

    def __str__(self):
        return f"run {self.pk} of photo {self.photo_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ImmutableVersionError(Exception):
    """Versions are written once, when their run finishes; nothing edits or deletes them afterwards."""


class VersionQuerySet(models.QuerySet):
    def delete(self):
        raise ImmutableVersionError("versions are never deleted")

    def update(self, **kwargs):
        raise ImmutableVersionError("versions are never edited")


class Version(models.Model):
    photo = models.ForeignKey("archive.Photo", on_delete=models.PROTECT, related_name="versions")
    run = models.OneToOneField(Run, on_delete=models.PROTECT, related_name="version")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=100)
    model_checksum = models.CharField(max_length=128)

    hints = models.JSONField(default=list)  # frozen snapshot of the hints used (hint_json(Hint))
    hints_mode = models.CharField(max_length=10, choices=HintsMode.choices)
    context = models.JSONField(default=dict)  # {"era": slug|None, "situation": slug|None}
    reference = models.JSONField(default=dict, blank=True)  # what reference / profile guided the colours
    reference_image = models.CharField(max_length=300, blank=True)  # storage name of the reference used
    params = models.JSONField(default=dict)

    result = models.FileField(upload_to=version_path, max_length=300)  # full-resolution PNG
    preview = models.ImageField(upload_to=version_path, max_length=300)  # web-size JPEG
    uncertainty = models.ImageField(upload_to=version_path, max_length=300)  # 8-bit PNG, white = unsure
    result_sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="colorize_versions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["photo_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "number"], name="one_version_number_per_photo"),
        ]

    def __str__(self):
        return f"version {self.number} of photo {self.photo_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableVersionError("versions are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableVersionError("versions are never deleted")

    @property
    def hint_count(self) -> int:
        return len(self.hints)

    @property
    def verified_hint_count(self) -> int:
        return sum(1 for h in self.hints if h.get("status") == "verified")

    def latest_review(self):
        cached = getattr(self, "_prefetched_objects_cache", {}).get("reviews")
        if cached is not None:  # prefetched by a list view: no query per version
            return max(cached, key=lambda r: (r.created_at, r.pk), default=None)
        return self.reviews.select_related("reviewer").order_by("-created_at", "-id").first()

    @property
    def review_state(self) -> str:
        """draft (never submitted), submitted, approved or rejected: the latest decision."""
        review = self.latest_review()
        return review.decision if review is not None else "draft"


class ReviewDecision(models.TextChoices):
    SUBMITTED = "submitted", _("submitted for review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class Review(models.Model):
    """One decision on a version (append-only). `reviewer` is who made it (the submitter for submissions)."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="colorize_reviews"
    )
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # An approval that moved "published" away from another version records which one and why (the reviewer
    # confirmed it explicitly): the review log is the audit trail of publication.
    replaced_version = models.ForeignKey(
        "colorize.Version",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by_reviews",
    )
    replace_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.decision} {self.version} by {self.reviewer}"


def collection_reference_path(instance, filename):
    return f"collection-references/{instance.collection_id}/{uuid.uuid4().hex}.{safe_extension(filename)}"


def _reference_upload_path(instance, filename):
    if instance.collection_id:
        return collection_reference_path(instance, filename)
    return reference_path(instance, filename)


class ReferencePhoto(models.Model):
    """A colour photograph that shows how things really looked (uniforms, signs, ...): of an era / situation
    (shared, `collection` None) or of one collection (its colour references, docs/adaptation.md)."""

    image = models.ImageField(upload_to=_reference_upload_path, max_length=300)
    collection = models.ForeignKey(
        "archive.Collection", null=True, blank=True, on_delete=models.CASCADE, related_name="references"
    )
    sha256 = models.CharField(
        max_length=64, blank=True, db_index=True
    )  # of the uploaded bytes (a duplicate in a collection: 409)
    title = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="where the reference comes from")
    era = models.ForeignKey("archive.Era", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    situation = models.ForeignKey(
        "archive.Situation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "sha256"],
                condition=Q(collection__isnull=False) & ~Q(sha256=""),
                name="one_reference_per_image_per_collection",
            ),
        ]

    def __str__(self):
        return self.title or f"reference {self.pk}"
