"""The JSON contract of colorize's resources: one DRF serializer per resource, used for REST responses, room
events, the hint event log, version snapshots and the OpenAPI schema alike.

Writes are validated by the services (colorize/services/hints.py, with the same limits from
colorize/models/hints.py); these serializers say what the API sends and document what it accepts.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from colorize.models import hints as limits
from colorize.models.hints import Hint, HintReach, HintShape, HintStatus
from config.schema import closed
from ml.colorspace import HEX_COLOR

# A stored file's URL as storage gives it: a path on this site ("/media/...") for local files, an absolute,
# signed URL with S3; null when there is none.
FILE_URL_SCHEMA = {
    "type": "string",
    "format": "uri-reference",
    "nullable": True,
    "description": "the file's URL: relative to this site (/media/...) or absolute (signed, S3)",
}


class IsoDateTimeField(serializers.DateTimeField):
    """A datetime as Python's isoformat() ("+00:00", as stored in the event log), or null."""

    def to_representation(self, value):
        return value.isoformat() if value else None


class UsernameField(serializers.CharField):
    """A user as their username (null when there is none)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value.username if value is not None else None


@extend_schema_field({"type": "number", "format": "double", "minimum": 0, "exclusiveMinimum": True})
class PositiveFractionField(serializers.FloatField):
    """A size as a fraction of the long side: more than 0 (the services refuse 0), at most max_value."""


class HintSerializer(serializers.Serializer):
    """A hint: what `hint_json`, the REST API and room frames send; writes use the same field names."""

    id = serializers.IntegerField(read_only=True)
    photo = serializers.IntegerField(source="photo_id", read_only=True)
    revision = serializers.IntegerField(
        read_only=True, help_text="per-hint revision; name it when you change the hint"
    )
    x = serializers.FloatField(min_value=0, max_value=1, help_text="column / width of the original")
    y = serializers.FloatField(min_value=0, max_value=1, help_text="row / height of the original")
    shape = serializers.ChoiceField(choices=HintShape.values, default=HintShape.POINT)
    radius = PositiveFractionField(
        max_value=limits.MAX_RADIUS, default=0.01, help_text="fraction of the long side (> 0)"
    )
    points = serializers.ListField(
        child=serializers.ListField(
            child=serializers.FloatField(min_value=0, max_value=1), min_length=2, max_length=2
        ),
        max_length=limits.MAX_STROKE_POINTS,
        required=False,
        help_text="a stroke's whole polyline [[x, y], ...] (at least 2 points)",
    )
    width = PositiveFractionField(
        max_value=limits.MAX_WIDTH,
        default=0.01,
        help_text="stroke width, fraction of the long side",
    )
    color = serializers.RegexField(
        rf"^{HEX_COLOR.pattern}$", help_text='sRGB "#rrggbb" (a fence has none: it is sent as "#000000")'
    )
    reach = serializers.ChoiceField(
        choices=HintReach.values,
        default=HintReach.WIDE,
        help_text='how far the colour spreads: "object" (this object), "region" (this region) or "wide" (the '
        "model's own reach); a fence (shape \"fence\") is a line no hint's colour crosses",
    )
    lab = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=HintStatus.values, read_only=True)
    evidence_note = serializers.CharField(required=False, allow_blank=True, max_length=limits.MAX_NOTE)
    evidence_note_lang = serializers.CharField(
        required=False, allow_blank=True, max_length=35, help_text="BCP 47 language of the note (e.g. ko, en)"
    )
    evidence_source = serializers.CharField(required=False, allow_blank=True, max_length=limits.MAX_SOURCE)
    evidence_url = serializers.URLField(required=False, allow_blank=True, max_length=limits.MAX_URL)
    evidence_image = serializers.SerializerMethodField()
    created_by = UsernameField()
    created_at = IsoDateTimeField(read_only=True, allow_null=True)
    updated_at = IsoDateTimeField(read_only=True, allow_null=True)
    verified_by = UsernameField()
    verified_at = IsoDateTimeField(read_only=True, allow_null=True)
    deleted = serializers.BooleanField(source="is_deleted", read_only=True)
    deleted_at = IsoDateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(
        {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3, "readOnly": True}
    )
    def get_lab(self, hint) -> list[float]:
        return [round(hint.lab_l, 3), round(hint.lab_a, 3), round(hint.lab_b, 3)]

    @extend_schema_field({**FILE_URL_SCHEMA, "readOnly": True})
    def get_evidence_image(self, hint) -> str | None:
        return file_url(hint.evidence_image)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["points"] = [list(p) for p in (instance.points or [])]
        return data


def _hint_input(name: str, doc: str, keywords: dict | None = None, **fields) -> type:
    """A hint request body: HintSerializer's writable fields (the fields colorize/services/hint_input.py
    accepts), plus `fields`; closed, since the services refuse unknown fields."""
    dropped = {name: None for name, field in HintSerializer._declared_fields.items() if field.read_only}
    return closed(type(name, (HintSerializer,), {"__doc__": doc, **dropped, **fields}), keywords=keywords)


# What a new hint must name depends on its shape (hint_input._check_shape): a point its place and colour, a
# stroke its line (>= 2 points) and colour, a fence only its line. Without a shape, a hint with points is a
# stroke, one without is a point.
_LINE = {"type": "array", "minItems": 2}
_NO_SHAPE = {"not": {"required": ["shape"]}}
NEW_HINT_SHAPES = {
    "required": [],
    "anyOf": [
        {**_NO_SHAPE, "required": ["x", "y", "color"], "properties": {"points": {"maxItems": 0}}},
        {**_NO_SHAPE, "required": ["points", "color"], "properties": {"points": _LINE}},
        {"required": ["shape", "x", "y", "color"], "properties": {"shape": {"enum": [HintShape.POINT]}}},
        {
            "required": ["shape", "points", "color"],
            "properties": {"shape": {"enum": [HintShape.STROKE]}, "points": _LINE},
        },
        {
            "required": ["shape", "points"],
            "properties": {"shape": {"enum": [HintShape.FENCE]}, "points": _LINE},
        },
    ],
}


def _request_id():
    return serializers.CharField(
        required=False,
        min_length=1,
        max_length=limits.MAX_REQUEST_ID,
        help_text="idempotency key: a retried write with the same key is applied once (or the "
        "Idempotency-Key header)",
    )


HintCreateSerializer = _hint_input(
    "HintCreateSerializer",
    "A new hint (POST /api/photos/{id}/hints/). It starts at revision 1: a create names no revision. A point "
    "names x, y and color; a stroke its shape, points and color; a fence its shape and points.",
    keywords=NEW_HINT_SHAPES,
    request_id=_request_id(),
)
HintEditSerializer = _hint_input(
    "HintEditSerializer",
    'A change to a hint (PATCH /api/hints/{id}/): the fields to change and the `revision` you edit; `"status": '
    '"verified"` verifies it (reviewers; needs evidence), `"suggested"` takes the verification back.',
    revision=serializers.IntegerField(min_value=1, help_text="the hint revision you are editing"),
    status=serializers.ChoiceField(choices=HintStatus.values, required=False),
    request_id=_request_id(),
)


def hint_json(hint: Hint) -> dict:
    return dict(HintSerializer(hint).data)


def file_url(field_file) -> str | None:
    return field_file.url if field_file else None


class FileUrlField(serializers.Field):
    """A stored file as its URL (null when there is none)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return file_url(value)


extend_schema_field(FILE_URL_SCHEMA)(FileUrlField)
extend_schema_field({"type": "string", "nullable": True})(UsernameField)


class SlugOfField(serializers.Field):
    """A vocabulary entry (era, situation) as its slug (null when there is none)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return value.slug if value is not None else None


extend_schema_field({"type": "string", "nullable": True})(SlugOfField)


class RunSerializer(serializers.Serializer):
    """A colorization run: REST responses and the run.* room events."""

    id = serializers.IntegerField(read_only=True)
    photo = serializers.IntegerField(source="photo_id", read_only=True)
    status = serializers.CharField(read_only=True)
    progress = serializers.IntegerField(read_only=True)
    hints_mode = serializers.CharField(read_only=True)
    era = SlugOfField()
    situation = SlugOfField()
    reference = serializers.IntegerField(source="reference_id", read_only=True, allow_null=True)
    reference_image = FileUrlField()
    use_profile = serializers.BooleanField(read_only=True, help_text="the old name of use_adaptation")
    use_adaptation = serializers.BooleanField(
        source="use_profile", read_only=True, help_text="false: the run was asked not to use an adaptation"
    )
    # The adaptation picked at request time; once done, the one the model applied (null: none was).
    adaptation = serializers.IntegerField(source="adaptation_id", read_only=True, allow_null=True)
    adaptation_checksum = serializers.CharField(
        read_only=True,
        help_text="SHA-256 of the adaptation file the model applied ('' while not done, or none)",
    )
    options = serializers.JSONField(read_only=True)
    parent_version = serializers.IntegerField(source="parent_version_id", read_only=True, allow_null=True)
    # The repaired base the run colours (docs/repair.md); null: the original.
    base = serializers.IntegerField(source="base_id", read_only=True, allow_null=True)
    batch = serializers.UUIDField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    requested_by = UsernameField()
    created_at = IsoDateTimeField(read_only=True)
    started_at = IsoDateTimeField(read_only=True, allow_null=True)
    finished_at = IsoDateTimeField(read_only=True, allow_null=True)
    version = serializers.SerializerMethodField()
    version_number = serializers.SerializerMethodField()

    def _version(self, run):
        from colorize.models import RunStatus

        return getattr(run, "version", None) if run.status == RunStatus.DONE else None

    def get_version(self, run) -> int | None:
        version = self._version(run)
        return version.pk if version is not None else None

    def get_version_number(self, run) -> int | None:
        version = self._version(run)
        return version.number if version is not None else None


class ReviewSerializer(serializers.Serializer):
    """One review decision (submitted, approved, rejected) on a version."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(source="version_id", read_only=True)
    decision = serializers.CharField(read_only=True)
    by = UsernameField(source="reviewer")
    comment = serializers.CharField(read_only=True)
    at = IsoDateTimeField(source="created_at", read_only=True)
    replaced_version = serializers.IntegerField(source="replaced_version_id", read_only=True, allow_null=True)
    replace_reason = serializers.CharField(read_only=True)


class EvidenceWarningSerializer(serializers.Serializer):
    """What a reviewer must know about a version's evidence (colorize/services/review.py evidence_warning)."""

    codes = serializers.ListField(
        child=serializers.ChoiceField(choices=["no_verified_hint", "verified_since_render"]), read_only=True
    )
    message = serializers.CharField(read_only=True, help_text="in the reader's language")
    hints_verified_since = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    rerender = serializers.DictField(
        read_only=True,
        help_text="the run request that renders the photo again with the current hints: method, url, body",
    )


class ModelInfoSerializer(serializers.Serializer):
    name = serializers.CharField(source="model_name")
    version = serializers.CharField(source="model_version")
    checksum = serializers.CharField(source="model_checksum")


HIDDEN_METRICS = ("hint_errors", "model_hint_errors")


class VersionSerializer(serializers.Serializer):
    """A colorized version. Context: `published_id` (the photo's published version), `full` (add the frozen
    hints, every metric and the reviews: the version's own page) and `reader` (the viewer sees only published
    versions: the parent, a draft's id, is left out)."""

    id = serializers.IntegerField(read_only=True)
    photo = serializers.IntegerField(source="photo_id", read_only=True)
    number = serializers.IntegerField(read_only=True)
    run = serializers.IntegerField(source="run_id", read_only=True, allow_null=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    model = ModelInfoSerializer(source="*", read_only=True)
    hints_mode = serializers.CharField(read_only=True)
    hint_count = serializers.IntegerField(read_only=True)
    verified_hint_count = serializers.IntegerField(read_only=True)
    context = serializers.JSONField(read_only=True)
    reference = serializers.JSONField(read_only=True)
    params = serializers.JSONField(read_only=True)
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)
    result = FileUrlField()
    result_sha256 = serializers.CharField(read_only=True)
    preview = FileUrlField()
    uncertainty = FileUrlField()
    metrics = serializers.SerializerMethodField()
    created_by = UsernameField()
    created_at = IsoDateTimeField(read_only=True)
    review_state = serializers.SerializerMethodField()
    latest_review = serializers.SerializerMethodField()
    published = serializers.SerializerMethodField()

    @extend_schema_field({"type": "object"})
    def get_metrics(self, version) -> dict:
        if self.context.get("full"):
            return version.metrics
        return {k: v for k, v in version.metrics.items() if k not in HIDDEN_METRICS}

    def get_review_state(self, version) -> str:
        latest = version.latest_review()
        return latest.decision if latest is not None else "draft"

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_latest_review(self, version):
        latest = version.latest_review()
        return review_json(latest) if latest is not None else None

    def get_published(self, version) -> bool:
        published_id = self.context.get("published_id")
        return published_id is not None and published_id == version.pk

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("reader"):
            data["parent"] = None
        if self.context.get("full"):
            data["hints"] = instance.hints
            data["reviews"] = [review_json(r) for r in instance.reviews.select_related("reviewer")]
        return data


class ReferenceSerializer(serializers.Serializer):
    """A reference photo (a period colour photo that guides runs)."""

    id = serializers.IntegerField(read_only=True)
    image = FileUrlField()
    title = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)
    era = SlugOfField()
    situation = SlugOfField()
    collection = serializers.IntegerField(
        source="collection_id",
        read_only=True,
        allow_null=True,
        help_text="null: a shared era/situation reference",
    )
    sha256 = serializers.CharField(read_only=True)
    added_by = UsernameField()
    created_at = IsoDateTimeField(read_only=True)


def run_json(run) -> dict:
    return dict(RunSerializer(run).data)


def review_json(review) -> dict:
    return dict(ReviewSerializer(review).data)


def version_json(
    version, *, published_id: int | None = None, full: bool = False, reader: bool = False
) -> dict:
    """`reader`: for someone who may read the collection but not see its drafts (access.can_see_drafts)."""
    context = {"published_id": published_id, "full": full, "reader": reader}
    return dict(VersionSerializer(version, context=context).data)


def reference_json(ref) -> dict:
    return dict(ReferenceSerializer(ref).data)
