"""Serializers: JSON shapes and input parsing only. Validation that needs the database lives in services."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Membership, Role
from archive import access
from archive.imaging import MIME_TYPES
from archive.models import AuditEntry, Collection, Era, Photo, PhotoStatus, Situation, Visibility
from archive.services.photos import BATCH_FIELDS, BATCH_LIMIT, METADATA_FIELDS
from config.schema import closed

ROLE_NAMES = [role.label for role in Role]


class EraSerializer(serializers.ModelSerializer):
    """`name` and `description` in the request's language (LocaleMiddleware: the language cookie, else
    Accept-Language); name_ko/name_en and description_ko/description_en for clients that show or edit both."""

    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Era
        fields = [
            "slug",
            "name",
            "name_ko",
            "name_en",
            "description",
            "description_ko",
            "description_en",
            "kind",
            "parent",
            "year_from",
            "year_to",
        ]


class SituationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Situation
        fields = ["slug", "name", "name_ko", "name_en", "description", "description_ko", "description_en"]


class CollectionSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)
    photo_count = serializers.IntegerField(read_only=True, default=0)
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Collection
        fields = [
            "id",
            "title",
            "description",
            "visibility",
            "owner",
            "photo_count",
            "my_role",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "owner", "photo_count", "my_role", "created", "updated"]

    @extend_schema_field(
        {"type": "string", "nullable": True, "description": "viewer, curator, reviewer or owner"}
    )
    def get_my_role(self, collection) -> str | None:
        request = self.context.get("request")
        role = access.role_of(getattr(request, "user", None), collection)
        return role.label if role is not None else None


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=ROLE_NAMES)

    class Meta:
        model = Membership
        fields = ["username", "role", "created"]
        read_only_fields = ["created"]

    def to_representation(self, membership):
        data = super().to_representation(membership)
        data["role"] = Role(membership.role).label
        return data


class AuditEntrySerializer(serializers.ModelSerializer):
    """One audit entry: who (a username, or null once the account is gone), what (`action`, e.g. member.add,
    photo.metadata) with its details (for edits: the fields' values before and after), and when."""

    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)
    details = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "action", "actor", "details", "created_at"]
        read_only_fields = fields


class MembershipRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLE_NAMES)


class SlugListField(serializers.ListField):
    """A list of slugs; also accepts one comma-separated string (handy in multipart forms and curl)."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        flat = []
        for item in data:
            flat.extend(part.strip() for part in str(item).split(",") if part.strip())
        return super().to_internal_value(flat)


@closed  # validate() refuses unknown fields
class PhotoMetadataSerializer(serializers.Serializer):
    """Dublin Core fields plus the era and situations vocabularies (slugs)."""

    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    description = serializers.CharField(required=False, allow_blank=True)
    creator = serializers.CharField(required=False, allow_blank=True, max_length=300)
    date_display = serializers.CharField(required=False, allow_blank=True, max_length=100)
    date_from = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="YYYY-MM-DD or YYYY"
    )
    date_to = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="YYYY-MM-DD or YYYY"
    )
    place = serializers.CharField(required=False, allow_blank=True, max_length=300)
    source = serializers.CharField(required=False, allow_blank=True, max_length=300)
    rights = serializers.CharField(required=False, allow_blank=True, max_length=500)
    identifier = serializers.CharField(required=False, allow_blank=True, max_length=200)
    era = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="an era slug")
    situations = SlugListField(required=False, help_text="situation slugs")
    title_lang = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=35,
        help_text="language of the title (BCP 47: ko, en, und, ...); detected from the text when omitted",
    )
    description_lang = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=35,
        help_text="language of the description (BCP 47); detected from the text when omitted",
    )

    IGNORED_INPUT = {"csrfmiddlewaretoken"}

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", {})) - set(self.fields) - self.IGNORED_INPUT)
        if unknown:
            raise serializers.ValidationError(
                {name: [_("this field cannot be set here")] for name in unknown}
            )
        return attrs


class PhotoUploadSerializer(PhotoMetadataSerializer):
    file = serializers.FileField(help_text="a JPEG, PNG or TIFF image (8- or 16-bit, gray or RGB)")


class ZipUploadSerializer(PhotoMetadataSerializer):
    file = serializers.FileField(
        help_text="a ZIP of images; an optional metadata.csv at its root maps filenames to metadata"
    )


class IngestResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["ok", "duplicate", "error", "skipped"])
    photo_id = serializers.IntegerField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ZipReportSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    results = IngestResultSerializer(many=True)
    name_encoding = serializers.CharField(help_text="how member names were decoded: utf-8, cp949 or cp437")
    metadata_encoding = serializers.CharField(
        help_text="how metadata.csv was decoded (utf-8, utf-8 (BOM), utf-16, cp949); empty without one"
    )


class UploadBatchSerializer(ZipReportSerializer):
    id = serializers.IntegerField()
    collection = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    total = serializers.IntegerField(help_text="image members to ingest")
    processed = serializers.IntegerField(help_text="members reported so far")
    error = serializers.CharField()
    created = serializers.DateTimeField()
    status_url = serializers.URLField()


class PhotoUrlsSerializer(serializers.Serializer):
    thumbnail = serializers.URLField(allow_null=True)
    web = serializers.URLField(allow_null=True)
    gray = serializers.URLField(allow_null=True)
    original = serializers.URLField()


class PhotoSerializer(serializers.ModelSerializer):
    era = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    situations = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    status = serializers.ChoiceField(choices=PhotoStatus.choices, read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    urls = serializers.SerializerMethodField()
    dublin_core = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = [
            "id",
            "collection",
            *METADATA_FIELDS,
            "status",
            "original_name",
            "sha256",
            "byte_size",
            "format",
            "width",
            "height",
            "mode",
            "bit_depth",
            "page_count",
            "derivatives_status",
            "derivatives_error",
            "urls",
            "dublin_core",
            "uploaded_by",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(PhotoUrlsSerializer)
    def get_urls(self, photo) -> dict:
        urls = {
            name: (self._absolute(getattr(photo, name).url) if getattr(photo, name) else None)
            for name in ("thumbnail", "web", "gray")
        }
        urls["original"] = self._absolute(reverse("photo-original", args=[photo.pk]))
        return urls

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_dublin_core(self, photo) -> dict:
        """The record as Dublin Core elements (dc:*)."""
        if photo.date_display:
            date = photo.date_display
        elif photo.date_from and photo.date_to and photo.date_from != photo.date_to:
            date = f"{photo.date_from.isoformat()}/{photo.date_to.isoformat()}"
        else:
            date = (
                (photo.date_from or photo.date_to).isoformat() if (photo.date_from or photo.date_to) else ""
            )
        subjects = [s.name for s in photo.situations.all()]
        return {
            "title": photo.title,
            "creator": photo.creator,
            "subject": subjects,
            "description": photo.description,
            "date": date,
            "coverage": ", ".join(x for x in [photo.place, photo.era.name if photo.era else ""] if x),
            "source": photo.source,
            "rights": photo.rights,
            "identifier": photo.identifier or f"sha256:{photo.sha256}",
            "format": MIME_TYPES.get(photo.format, ""),
            "type": "StillImage",
        }


# The fields a batch may set (archive/services/photos.py BATCH_FIELDS), each as PhotoMetadataSerializer has it;
# the service refuses any other.
BatchChangesSerializer = closed(
    type(
        "BatchChangesSerializer",
        (PhotoMetadataSerializer,),
        {
            "__doc__": "The metadata a batch sets on every photo; the other fields are edited photo by photo.",
            **{name: None for name in PhotoMetadataSerializer._declared_fields if name not in BATCH_FIELDS},
        },
    )
)


@extend_schema_field(BatchChangesSerializer)
class BatchChangesField(serializers.DictField):
    """The changes of a batch: a JSON object, checked by the service (check_photo_batch)."""


class BatchMetadataSerializer(serializers.Serializer):
    photos = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=BATCH_LIMIT,
        help_text="ids of photos of this collection",
    )
    changes = BatchChangesField(
        help_text="the fields to set on every one (at least one): era, situations, place, source, rights, "
        "date_display, date_from, date_to"
    )


class BatchMetadataResultSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.IntegerField())
