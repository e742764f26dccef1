import datetime
import re
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Lower, Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config import jobs


class EraKind(models.TextChoices):
    PERIOD = "period", _("historical period")
    CENTURY = "century", _("century")
    DECADE = "decade", _("decade")


class Era(models.Model):
    """A controlled vocabulary of times (admin-editable, seeded by data migrations), in two trees: Korean
    historical periods (a period may contain sub-periods: the Korean War inside the First Republic), and
    centuries divided into decades. Together they cover every year from 1850 to 2000, so any photo gets an era.
    `name` and `description` exist in Korean and English (name_ko, name_en: archive/translation.py)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EraKind.choices, default=EraKind.PERIOD)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("part of"),
    )
    year_from = models.IntegerField(_("from year"), null=True, blank=True)
    year_to = models.IntegerField(_("to year (inclusive)"), null=True, blank=True)
    order = models.IntegerField(default=0)

    class Meta:
        ordering = ["order", "year_from", "slug"]
        verbose_name = _("era")
        verbose_name_plural = _("eras")

    def __str__(self):
        return self.name

    @staticmethod
    def decade_slug(year: int) -> str:
        """The slug of the decade a year falls in: 1915 -> "1910s"."""
        return f"{year // 10 * 10}s"

    def subtree_ids(self) -> list[int]:
        """This era and every era below it (the vocabulary is small: one query)."""
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in Era.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        ids, todo = [], [self.pk]
        while todo:
            pk = todo.pop()
            ids.append(pk)
            todo.extend(children.get(pk, []))
        return ids


class Situation(models.Model):
    """A controlled vocabulary of what a photograph shows (war, protest, daily life, ...), in Korean and English."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("situation")
        verbose_name_plural = _("situations")

    def __str__(self):
        return self.name


# The descriptive fields that text search reads (archive/services/search.py).
SEARCH_FIELDS = ("title", "description", "place", "creator", "identifier", "source", "date_display", "rights")


class JoinText(models.Func):
    """a || b || c with NULL as '': flat (Concat nests one pair per argument, deeper than SQLite's parser allows
    in a generated column) and immutable on PostgreSQL (concat() is not, so it cannot be indexed)."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = models.TextField()

    def __init__(self, *expressions, **extra):
        super().__init__(
            *(Coalesce(e, Value(""), output_field=models.TextField()) for e in expressions), **extra
        )


def _compact_search_text():
    """Lower-cased descriptive text with all white space removed, fields separated by "|": "서울 역 앞" and
    "서울역앞" become the same, so a search finds a word whatever its spacing (Korean spacing varies)."""
    parts = []
    for name in SEARCH_FIELDS:
        parts += [F(name), Value("|")]
    text = JoinText(*parts[:-1])
    for blank in (" ", "\n", "\r", "\t", "\u3000"):
        text = Replace(text, Value(blank), Value(""), output_field=models.TextField())
    return Lower(text, output_field=models.TextField())


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


_YEAR_IN_TEXT = re.compile(r"(1[0-9]{3}|20[0-9]{2})")


def sort_date(date_from, date_to, date_display: str) -> datetime.date | None:
    """When a photo was taken, for sorting: its date range's start, else its end, else the first year written in
    its display date ("c. 1945", "1950s": approximate, placed at that year's start); None when undated."""
    day = date_from or date_to
    if day is None and date_display and (m := _YEAR_IN_TEXT.search(date_display)):
        day = datetime.date(int(m.group(1)), 1, 1)
    return day


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
    # Kept by save() from the three above (sort_date), so that sorting a collection by date is one indexed ORDER BY.
    date_sort = models.DateField(null=True, blank=True, editable=False)
    place = models.CharField(max_length=300, blank=True)
    source = models.CharField("source / institution", max_length=300, blank=True)
    rights = models.CharField(max_length=500, blank=True)
    identifier = models.CharField(max_length=200, blank=True)

    # Kept by the database (a stored generated column); on PostgreSQL a pg_trgm GIN index makes substring search
    # fast (archive/migrations/0007_photo_search_text.py).
    search_text = models.GeneratedField(
        expression=_compact_search_text(), output_field=models.TextField(), db_persist=True
    )

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
        indexes = [models.Index(fields=["collection", "date_sort", "id"], name="photo_by_date")]
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
        self.date_sort = sort_date(self.date_from, self.date_to, self.date_display)
        if update_fields is not None and {"date_from", "date_to", "date_display"} & set(update_fields):
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"date_sort"}
        super().save(*args, **kwargs)

    @property
    def extension(self) -> str:
        return {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif"}.get(self.format, "")


class JobStatus(models.TextChoices):
    """The states of a background job that keeps its progress in a row: an upload batch (here), a BagIt export or
    an IIIF import (colorize.InteropJob). One enum, JobStatusEnum in the OpenAPI schema."""

    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class JobRows(models.QuerySet):
    """Rows of such jobs: a `status` (JobStatus) and `updated`, the heartbeat a running job refreshes.

    A job whose worker was lost (a restart, a killed worker, a broker outage) stays queued or running and goes
    silent; the periodic sweep `requeue_silent` sends it again (docs/job-lifecycle.md)."""

    def start(self, pk: int):
        """The job's row (from this queryset, so with its select_related), marked running with a fresh heartbeat;
        None when it is gone or has ended (done or failed): a retried or duplicated job then does nothing."""
        row = self.filter(pk=pk).first()
        if row is None or row.status in (JobStatus.DONE, JobStatus.FAILED):
            return None
        self.model.objects.filter(pk=pk).update(status=JobStatus.RUNNING, updated=timezone.now())
        return row

    def beat(self, pk: int) -> None:
        """A running job says it is alive (between items, and while a long step runs)."""
        self.filter(pk=pk, status=JobStatus.RUNNING).update(updated=timezone.now())

    def requeue_silent(self, job_path, stale_after: datetime.timedelta | None = None) -> list[int]:
        """Re-enqueue the jobs queued or running and silent for `stale_after` (settings.BATCH_STALE_SECONDS);
        `job_path(row)` names the job function. Each is taken by a compare-and-set on its heartbeat, so of
        several sweepers exactly one re-enqueues it. Returns the ids taken."""
        if stale_after is None:
            stale_after = datetime.timedelta(seconds=settings.BATCH_STALE_SECONDS)
        cutoff = timezone.now() - stale_after
        taken = []
        for row in self.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING), updated__lt=cutoff):
            with transaction.atomic():
                won = self.model.objects.filter(pk=row.pk, updated=row.updated).update(
                    status=JobStatus.QUEUED, updated=timezone.now()
                )
                if won:
                    jobs.enqueue(job_path(row), row.pk)
                    taken.append(row.pk)
        return taken


class JobRow(models.Model):
    """A background job that keeps its progress in its row: `processed` of `total` items, a per-item `report`,
    its `status` and `updated`, the heartbeat (JobRows). Upload batches here, interop jobs in colorize."""

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = JobRows.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created", "-id"]


def batch_archive_path(batch, filename):
    return f"batches/{batch.collection_id}/{uuid.uuid4().hex}.zip"


class UploadBatch(JobRow):
    """A ZIP too heavy to ingest inside its request: stored, then ingested by a background job that records
    its progress and per-file report here (GET /api/batches/{id}/). The archive file is deleted when done."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="upload_batches")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="upload_batches"
    )
    archive = models.FileField(upload_to=batch_archive_path, max_length=300, blank=True)
    archive_name = models.CharField(max_length=300, blank=True)
    metadata = models.JSONField(default=dict, blank=True)  # fields that apply to every member
    # report: counts, results, name/metadata encodings

    def __str__(self):
        return f"batch {self.pk} ({self.status})"


class AuditEntry(models.Model):
    """Who changed a collection's settings, members or vocabularies, and when (append-only)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    action = models.CharField(max_length=40, help_text="e.g. collection.create, member.add, era.rename")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"
