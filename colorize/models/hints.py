"""Hints and their event log.

A Hint is one colour a curator pins on a photo: a point with a radius or a brush stroke, with its evidence and
its reach (how far the colour spreads: this object, this region, or wide). A hint of shape "fence" is a stroke no
hint's colour crosses: it has no colour of its own (ml.Fence; design note in docs/model.md, "Reach per hint").
Every change to a hint appends a HintEvent (before/after snapshots, actor, time, and the photo's monotonic
room revision); the log is the audit trail, powers undo, and lets a reconnecting client catch up.
RoomPresence rows record who is connected to a photo's room (pruned when their heartbeat stops).
"""

import math
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ml.colorspace import hex_to_lab

__all__ = [
    "Hint",
    "HintEvent",
    "HintQuerySet",
    "HintReach",
    "HintShape",
    "HintStatus",
    "RoomPresence",
    "hex_to_lab",  # ml.colorspace's, the Lab stored on every hint
    "room_revision",
]


# The limits of a hint: the services validate writes with them, colorize/serializers.py publishes them.
MAX_RADIUS = 0.25  # fraction of the long side
MAX_WIDTH = 0.25  # a stroke's width, fraction of the long side
MAX_STROKE_POINTS = 1000
MAX_NOTE = 5000
MAX_SOURCE = 500
MAX_URL = 500
MAX_REQUEST_ID = 100  # a write's idempotency key


class HintShape(models.TextChoices):
    POINT = "point", _("point")
    STROKE = "stroke", _("brush stroke")
    FENCE = "fence", _("fence")


class HintReach(models.TextChoices):
    """How far a hint's colour spreads (ml.hints.REACHES); "wide" is the model's own reach, as before."""

    OBJECT = "object", _("this object")
    REGION = "region", _("this region")
    WIDE = "wide", _("wide")


FENCE_COLOR = "#000000"  # a fence has no colour; the column is required, so it holds this


class HintStatus(models.TextChoices):
    SUGGESTED = "suggested", _("suggested")
    VERIFIED = "verified", _("verified")


class HintQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


def evidence_image_path(hint, filename):
    from colorize.models.runs import safe_extension

    return f"hint-evidence/{hint.photo_id}/{uuid.uuid4().hex}.{safe_extension(filename)}"


class Hint(models.Model):
    photo = models.ForeignKey("archive.Photo", on_delete=models.CASCADE, related_name="hints")
    # Position in normalized coordinates of the original: x = column / width, y = row / height.
    x = models.FloatField()
    y = models.FloatField()
    shape = models.CharField(max_length=10, choices=HintShape.choices, default=HintShape.POINT)
    radius = models.FloatField(default=0.01, help_text="point radius, fraction of the long side")
    points = models.JSONField(default=list, blank=True, help_text="stroke polyline [[x, y], ...]")
    width = models.FloatField(default=0.01, help_text="stroke width, fraction of the long side")
    color = models.CharField(max_length=7, help_text='sRGB "#rrggbb"')
    reach = models.CharField(
        max_length=10,
        choices=HintReach.choices,
        default=HintReach.WIDE,
        help_text="how far the colour spreads",
    )
    lab_l = models.FloatField()
    lab_a = models.FloatField()
    lab_b = models.FloatField()
    status = models.CharField(max_length=10, choices=HintStatus.choices, default=HintStatus.SUGGESTED)

    evidence_note = models.TextField(blank=True)
    evidence_note_lang = models.CharField(max_length=35, blank=True, help_text="BCP 47 language of the note")
    evidence_source = models.CharField(max_length=500, blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    evidence_image = models.ImageField(upload_to=evidence_image_path, max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = HintQuerySet.as_manager()

    class Meta:
        ordering = ["photo_id", "id"]
        indexes = [models.Index(fields=["photo", "deleted_at"], name="hint_photo_live")]
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0) & Q(x__lte=1) & Q(y__gte=0) & Q(y__lte=1), name="hint_xy_normalized"
            ),
            models.CheckConstraint(
                condition=Q(status="suggested") | Q(verified_at__isnull=False), name="verified_hint_has_time"
            ),
        ]

    def __str__(self):
        return f"hint {self.pk} {self.color} on photo {self.photo_id}"

    @property
    def is_verified(self) -> bool:
        return self.status == HintStatus.VERIFIED

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_note.strip() or self.evidence_source.strip())

    def save(self, *args, **kwargs):
        from archive import languages

        if not self.evidence_note:
            self.evidence_note_lang = ""
        elif not self.evidence_note_lang:  # a note written without a chosen language: detected
            self.evidence_note_lang = languages.detect(self.evidence_note)
        super().save(*args, **kwargs)

    def set_color(self, color: str) -> None:
        self.color = color.lower()
        self.lab_l, self.lab_a, self.lab_b = hex_to_lab(self.color)

    def polyline(self) -> list[tuple[float, float]]:
        """Every point of the hint: [(x, y)] for a point, the whole polyline for a stroke."""
        if self.shape in (HintShape.STROKE, HintShape.FENCE) and self.points:
            return [(float(px), float(py)) for px, py in self.points]
        return [(self.x, self.y)]

    def covers(self, x: float, y: float, width: int, height: int) -> bool:
        """Whether the point (x, y) (normalized) lies on this hint: inside a point's disc or on a stroke.

        Sizes are fractions of the image's long side, so distances are measured in pixels of the original.
        """
        long = max(width, height)
        reach = (self.width / 2 if self.shape != HintShape.POINT else self.radius) * long
        return any(math.hypot((px - x) * width, (py - y) * height) <= reach for px, py in self.polyline())

    def to_ml(self):
        """This hint as an `ml.Hint` (a stroke: the first polyline point plus the rest as `points`) or, for a
        fence, an `ml.Fence`."""
        from ml import Fence as MLFence
        from ml import Hint as MLHint

        line = self.polyline()
        if self.shape == HintShape.FENCE:
            return MLFence(x=line[0][0], y=line[0][1], points=line[1:])
        if self.shape == HintShape.STROKE and len(line) > 1:
            return MLHint(
                x=line[0][0],
                y=line[0][1],
                color=self.color,
                radius=self.radius,
                points=line[1:],
                width=self.width,
                verified=self.is_verified,
                reach=self.reach,
            )
        return MLHint(
            x=self.x,
            y=self.y,
            color=self.color,
            radius=self.radius,
            verified=self.is_verified,
            reach=self.reach,
        )


class HintEvent(models.Model):
    """One change to one hint. Append-only: never updated or deleted (undo appends a new event)."""

    class Action(models.TextChoices):
        ADD = "add", _("add")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        VERIFY = "verify", _("verify")
        UNVERIFY = "unverify", _("unverify")
        UNDO = "undo", _("undo")

    photo = models.ForeignKey("archive.Photo", on_delete=models.CASCADE, related_name="hint_events")
    hint = models.ForeignKey(Hint, on_delete=models.CASCADE, related_name="events")
    room_revision = models.PositiveIntegerField(help_text="per-photo, strictly increasing")
    action = models.CharField(max_length=10, choices=Action.choices)
    kind = models.CharField(max_length=20, help_text="the broadcast frame type: hint.added|updated|deleted")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    request_id = models.CharField(max_length=MAX_REQUEST_ID, null=True, blank=True)
    undo_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by"
    )

    class Meta:
        ordering = ["photo_id", "room_revision"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "room_revision"], name="one_event_per_room_revision"),
            models.UniqueConstraint(
                fields=["photo", "actor", "request_id"],
                condition=Q(request_id__isnull=False),
                name="request_id_applied_once",
            ),
        ]

    def __str__(self):
        return f"#{self.room_revision} {self.action} hint {self.hint_id} on photo {self.photo_id}"

    def to_frame(self) -> dict:
        """The room frame this event was broadcast as (and is replayed as on resume)."""
        return {
            "type": self.kind,
            "room_revision": self.room_revision,
            "action": self.action,
            "hint": self.after,
            "by": {"id": self.actor_id, "username": self.actor.username if self.actor_id else None},
            "request_id": self.request_id,
            "at": self.created_at.isoformat(),
            "undo_of": self.undo_of.room_revision if self.undo_of_id else None,
        }


def room_revision(photo_id: int) -> int:
    """The photo room's revision: the room_revision of its latest hint event (0: no event yet)."""
    return HintEvent.objects.filter(photo_id=photo_id).aggregate(m=models.Max("room_revision"))["m"] or 0


class RoomPresence(models.Model):
    """One open connection to a photo's room. Heartbeats refresh last_seen; stale rows are pruned."""

    photo = models.ForeignKey("archive.Photo", on_delete=models.CASCADE, related_name="room_presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    connection = models.CharField(max_length=32, help_text="opaque id shown to peers")
    role = models.PositiveSmallIntegerField()
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["photo_id", "joined_at", "id"]

    def __str__(self):
        return f"{self.user} in room of photo {self.photo_id}"
