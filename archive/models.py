import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class Era(models.Model):
    """A controlled vocabulary of historical periods (admin-editable, seeded by a data migration)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    year_from = models.IntegerField(null=True, blank=True)
    year_to = models.IntegerField(null=True, blank=True)
    order = models.IntegerField(default=0)

    class Meta:
        ordering = ["order", "year_from", "name"]

    def __str__(self):
        return self.name


class Situation(models.Model):
    """A controlled vocabulary of what a photograph shows (war, protest, daily life, ...)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Visibility(models.TextChoices):
    PRIVATE = "private", _("private (members only)")
    MEMBERS = "members", _("members (any signed-in user)")
    PUBLIC = "public", _("public (anyone)")


class CollectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated:
            return self.filter(visibility=Visibility.PUBLIC)
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS])
            | Q(owner=user)
            | Q(memberships__user=user)
        ).distinct()


class Collection(models.Model):
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_collections"
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self):
        return self.title

    def role_of(self, user) -> Role | None:
        """The user's role here; None means they may not even know the collection exists."""
        if user is None or not user.is_authenticated:
            return Role.VIEWER if self.visibility == Visibility.PUBLIC else None
        if user.is_superuser or self.owner_id == user.pk:
            return Role.OWNER
        role = self.memberships.filter(user=user).values_list("role", flat=True).first()
        if role is not None:
            return Role(role)
        if self.visibility in (Visibility.PUBLIC, Visibility.MEMBERS):
            return Role.VIEWER
        return None

    def is_member(self, user) -> bool:
        """Members are the owner and users with a Membership: the people who may join its photo rooms."""
        if user is None or not user.is_authenticated:
            return False
        return user.is_superuser or self.owner_id == user.pk or self.memberships.filter(user=user).exists()


class PhotoStatus(models.TextChoices):
    UNRESTORED = "unrestored", _("unrestored")
    IN_PROGRESS = "in_progress", _("in progress")
    IN_REVIEW = "in_review", _("in review")
    APPROVED = "approved", _("approved")


class DerivativeStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


def original_path(photo, filename):
    return f"originals/{photo.collection_id}/{photo.sha256[:2]}/{photo.sha256}{photo.extension}"


def derivative_path(photo, filename):
    return f"derivatives/{photo.collection_id}/{photo.sha256[:2]}/{filename}"


class Photo(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="photos")

    # The original, byte for byte. Never rewritten: derivatives are separate files.
    original = models.FileField(upload_to=original_path, max_length=300)
    original_name = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    byte_size = models.BigIntegerField()
    format = models.CharField(max_length=10)  # JPEG, PNG, TIFF (sniffed from content)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mode = models.CharField(max_length=10)  # Pillow mode of the original: L, I;16, RGB, ...
    bit_depth = models.PositiveSmallIntegerField()
    page_count = models.PositiveIntegerField(default=1)

    # Derivatives made in the background.
    thumbnail = models.ImageField(upload_to=derivative_path, max_length=300, blank=True)
    web = models.ImageField(upload_to=derivative_path, max_length=300, blank=True)
    gray = models.ImageField(upload_to=derivative_path, max_length=300, blank=True)
    derivatives_status = models.CharField(
        max_length=10, choices=DerivativeStatus.choices, default=DerivativeStatus.PENDING
    )
    derivatives_error = models.TextField(blank=True)

    # Dublin Core descriptive metadata.
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    # BCP 47 language of the title / description: detected (archive/languages.py) or chosen; "" when empty.
    title_lang = models.CharField(max_length=35, blank=True)
    description_lang = models.CharField(max_length=35, blank=True)
    creator = models.CharField("creator / photographer", max_length=300, blank=True)
    date_display = models.CharField(max_length=100, blank=True, help_text='e.g. "c. 1950" or "1945-08-15"')
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    place = models.CharField(max_length=300, blank=True)
    source = models.CharField("source / institution", max_length=300, blank=True)
    rights = models.CharField(max_length=500, blank=True)
    identifier = models.CharField(max_length=200, blank=True)

    era = models.ForeignKey(Era, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos")
    situations = models.ManyToManyField(Situation, blank=True, related_name="photos")
    status = models.CharField(max_length=12, choices=PhotoStatus.choices, default=PhotoStatus.UNRESTORED)

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_photos",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "sha256"], name="one_copy_per_collection"),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True)
                | Q(date_to__isnull=True)
                | Q(date_from__lte=models.F("date_to")),
                name="date_range_ordered",
            ),
        ]

    def __str__(self):
        return self.title or self.original_name or f"photo {self.pk}"

    def save(self, *args, **kwargs):
        # Every path that sets text without a language (fixtures, the admin, data imports) gets a detected one.
        from archive import languages

        update_fields = kwargs.get("update_fields")
        for name in ("title", "description"):
            text, lang_name = getattr(self, name), f"{name}_lang"
            if not text:
                setattr(self, lang_name, "")
            elif not getattr(self, lang_name):
                setattr(self, lang_name, languages.detect(text))
            if update_fields is not None and name in update_fields:
                kwargs["update_fields"] = set(kwargs["update_fields"]) | {lang_name}
        super().save(*args, **kwargs)

    @property
    def extension(self) -> str:
        return {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif"}.get(self.format, "")

    @property
    def group_name(self) -> str:
        """The channel-layer group of this photo's collaboration room."""
        return f"photo.{self.pk}"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


def batch_archive_path(batch, filename):
    return f"batches/{batch.collection_id}/{uuid.uuid4().hex}.zip"


class UploadBatch(models.Model):
    """A ZIP too heavy to ingest inside its request: stored, then ingested by a background job that records
    its progress and per-file report here (GET /api/batches/{id}/). The archive file is deleted when done."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="upload_batches")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="upload_batches"
    )
    archive = models.FileField(upload_to=batch_archive_path, max_length=300, blank=True)
    archive_name = models.CharField(max_length=300, blank=True)
    metadata = models.JSONField(default=dict, blank=True)  # fields that apply to every member
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)  # counts, results, name/metadata encodings
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"batch {self.pk} ({self.status})"
