"""REST API of runs, versions, reviews, exports and reference photos. Thin: every decision is in services."""

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from archive.access import get_collection_for, get_photo_for
from archive.models import PhotoStatus
from colorize.access import can_see_drafts, get_run_for, get_version_for
from colorize.models import ReferencePhoto, Run
from colorize.serializers import (
    EvidenceWarningSerializer,
    ReferenceSerializer,
    ReviewSerializer,
    RunSerializer,
    VersionSerializer,
    reference_json,
    review_json,
    run_json,
    version_json,
)
from colorize.services import export as export_services
from colorize.services import provenance as provenance_services
from colorize.services import references as reference_services
from colorize.services import review as review_services
from colorize.services.runs.request import do_cancel_run, do_create_batch, do_create_run
from config.api import ServiceError, invalid
from config.parsers import JSONObjectParser
from config.schema import ERROR


def _published_id(photo) -> int | None:
    published = review_services.published_version(photo)
    return published.pk if published else None


def _data(request) -> dict:
    """Request data as a plain dict; multipart 'options' may come as a JSON string."""
    data = {key: request.data.get(key) for key in request.data}
    if isinstance(data.get("options"), str):
        try:
            data["options"] = json.loads(data["options"] or "{}")
        except ValueError:
            raise invalid({"options": _("not JSON")}, message=_("options: not JSON")) from None
    return data


class PhotoRunsView(APIView):
    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        runs = Run.objects.filter(photo=photo).select_related("era", "situation", "requested_by")[:100]
        return Response({"results": review_services.runs_as_seen_by(request.user, photo, runs)})

    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.CURATOR)
        run = do_create_run(request.user, photo, _data(request), request.FILES)
        run.refresh_from_db()
        return Response(run_json(run), status=status.HTTP_202_ACCEPTED)


class RunView(APIView):
    def get(self, request, run_id):
        run = get_run_for(request.user, run_id)
        return Response(review_services.runs_as_seen_by(request.user, run.photo, [run])[0])


class RunCancelView(APIView):
    def post(self, request, run_id):
        run = get_run_for(request.user, run_id, Role.CURATOR)
        run = do_cancel_run(request.user, run)
        return Response(run_json(run))


class CollectionRunsView(APIView):
    def post(self, request, collection_id):
        collection = get_collection_for(request.user, collection_id)
        result = do_create_batch(request.user, collection, _data(request))
        return Response(result, status=status.HTTP_202_ACCEPTED)


class PhotoVersionsView(APIView):
    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        published = _published_id(photo)
        reader = not can_see_drafts(request.user, photo.collection)
        versions = review_services.versions_of(request.user, photo)
        return Response(
            {
                "photo": photo.pk,
                "published_version": published,
                "results": [version_json(v, published_id=published, reader=reader) for v in versions],
            }
        )


class VersionView(APIView):
    """Read only: versions are never edited or deleted (PUT/PATCH/DELETE answer 405)."""

    def get(self, request, version_id):
        version = get_version_for(request.user, version_id)
        reader = not can_see_drafts(request.user, version.photo.collection)
        published = _published_id(version.photo)
        return Response(version_json(version, published_id=published, full=True, reader=reader))


class VersionCompareView(APIView):
    def get(self, request, version_id):
        version = get_version_for(request.user, version_id)
        other = request.query_params.get("with", "original")
        return Response(review_services.compare(request.user, version, other))


class VersionRestoreHintsView(APIView):
    def post(self, request, version_id):
        version = get_version_for(request.user, version_id, Role.CURATOR)
        return Response(review_services.do_restore_hints(request.user, version))


class _DecisionView(APIView):
    action = ""

    def post(self, request, version_id):
        version = get_version_for(request.user, version_id)
        do = getattr(review_services, f"do_{self.action}")
        review = do(request.user, version, request.data)
        version.photo.refresh_from_db()
        return Response(
            {
                "review": review_json(review),
                "version": version_json(version, published_id=_published_id(version.photo)),
                "photo_status": version.photo.status,
                "evidence_warning": review_services.evidence_warning(version),
            },
            status=status.HTTP_201_CREATED,
        )


class VersionSubmitView(_DecisionView):
    action = "submit"


class VersionApproveView(_DecisionView):
    action = "approve"


class VersionRejectView(_DecisionView):
    action = "reject"


class VersionReviewsView(APIView):
    def get(self, request, version_id):
        version = get_version_for(request.user, version_id)
        reviews = version.reviews.select_related("reviewer").order_by("created_at", "id")
        return Response({"results": [review_json(r) for r in reviews]})


class ReviewQueueView(APIView):
    def get(self, request):
        if not request.user.is_authenticated:
            raise ServiceError("not_authenticated", _("sign in to see your review queue"), status_code=401)
        versions = review_services.review_queue(request.user)
        return Response({"results": [review_services.queue_item(v) for v in versions[:500]]})


class _FormatIsOurs(DefaultContentNegotiation):
    """?format= names the export format here, not a DRF renderer: always answer errors as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


class VersionExportView(APIView):
    content_negotiation_class = _FormatIsOurs
    renderer_classes = [JSONRenderer]

    def get(self, request, version_id):
        version = get_version_for(request.user, version_id)
        fmt = (request.query_params.get("format") or "jpeg").lower()
        mark = request.query_params.get("mark", "").lower() in ("1", "true", "yes", "on")
        if fmt == "json":
            prov = provenance_services.provenance(version, fmt="json", mark=False)
            response = HttpResponse(
                json.dumps(prov, indent=2, ensure_ascii=False), content_type="application/json"
            )
            name = export_services.export_name(version, "provenance.json", prov["export"]["draft"])
        else:
            content, mime, name, _prov = export_services.export_image(version, fmt, mark)
            response = HttpResponse(content, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class VersionSidecarView(APIView):
    def get(self, request, version_id):
        version = get_version_for(request.user, version_id)
        return Response(provenance_services.provenance(version, fmt="json"))


class ReferencesView(APIView):
    """The shared colour references of eras and situations (a collection's own: api_adaptation.py)."""

    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    def get(self, request):
        refs = ReferencePhoto.objects.filter(collection__isnull=True).select_related(
            "era", "situation", "added_by"
        )
        if request.query_params.get("era"):
            refs = refs.filter(era__slug=request.query_params["era"])
        if request.query_params.get("situation"):
            refs = refs.filter(situation__slug=request.query_params["situation"])
        return Response({"results": [reference_json(r) for r in refs[:200]]})

    def post(self, request):
        ref = reference_services.do_add_shared_reference(request.user, request.data, request.FILES)
        return Response(reference_json(ref), status=status.HTTP_201_CREATED)


# ----------------------------------------------------------------------------------------------- OpenAPI
# What each view answers, by method. Runs, versions, reviews and reference photos are documented by the
# serializers that render them (colorize/serializers.py); the other views answer JSON objects built by the
# services (docs/job-lifecycle.md). Every operation may also answer 400, 403 and 404 (config/schema.py).

RunListSerializer = inline_serializer("RunList", {"results": RunSerializer(many=True)})
RunBatchSerializer = inline_serializer(
    "RunBatch",
    {
        "batch": serializers.UUIDField(),
        "runs": serializers.ListField(child=serializers.IntegerField(), help_text="the runs queued"),
        "skipped_photos": serializers.ListField(
            child=serializers.IntegerField(), help_text="photos that already had a run queued or running"
        ),
    },
)
VersionListSerializer = inline_serializer(
    "VersionList",
    {
        "photo": serializers.IntegerField(),
        "published_version": serializers.IntegerField(allow_null=True),
        "results": VersionSerializer(many=True),
    },
)
ReviewListSerializer = inline_serializer("ReviewList", {"results": ReviewSerializer(many=True)})
ReviewDecisionSerializer = inline_serializer(
    "ReviewDecision",
    {
        "review": ReviewSerializer(),
        "version": VersionSerializer(),
        "photo_status": serializers.ChoiceField(choices=PhotoStatus.choices),
        "evidence_warning": EvidenceWarningSerializer(allow_null=True),
    },
)
ReferenceListSerializer = inline_serializer("ReferenceList", {"results": ReferenceSerializer(many=True)})
OBJECT = OpenApiTypes.OBJECT
_DECISION = {201: ReviewDecisionSerializer, 409: ERROR}

_DOCUMENTED = {
    "runs": {
        PhotoRunsView: {"get": {200: RunListSerializer}, "post": {202: RunSerializer}},
        RunView: {"get": {200: RunSerializer}},
        RunCancelView: {"post": {200: RunSerializer, 409: ERROR}},
        CollectionRunsView: {"post": {202: RunBatchSerializer}},
    },
    "versions": {
        PhotoVersionsView: {"get": {200: VersionListSerializer}},
        VersionView: {"get": {200: VersionSerializer}},
        VersionCompareView: {"get": {200: OBJECT}},
        VersionRestoreHintsView: {"post": {200: OBJECT}},
        VersionSidecarView: {"get": {200: OBJECT, 409: ERROR}},
    },
    "review": {
        VersionSubmitView: {"post": _DECISION},
        VersionApproveView: {"post": _DECISION},
        VersionRejectView: {"post": _DECISION},
        VersionReviewsView: {"get": {200: ReviewListSerializer}},
        ReviewQueueView: {"get": {200: OBJECT, 401: ERROR}},
    },
    "references": {
        ReferencesView: {"get": {200: ReferenceListSerializer}, "post": {201: ReferenceSerializer}},
    },
}
for _tag, _views in _DOCUMENTED.items():
    for _view, _methods in _views.items():
        extend_schema_view(
            **{
                method: extend_schema(tags=[_tag], request=OBJECT, responses=responses)
                for method, responses in _methods.items()
            }
        )(_view)
extend_schema(
    parameters=[OpenApiParameter("with", str, description="a version id of the same photo, or 'original'")]
)(VersionCompareView)
extend_schema(
    tags=["versions"],
    parameters=[
        OpenApiParameter("format", str, enum=["jpeg", "png", "tiff", "json"]),
        OpenApiParameter("mark", bool, description="add a visible 'AI-colorized' label"),
    ],
    responses={
        **{(200, mime): OpenApiTypes.BINARY for mime in ("image/jpeg", "image/png", "image/tiff")},
        (200, "application/json"): OBJECT,
        409: ERROR,
        503: ERROR,
    },
)(VersionExportView)
