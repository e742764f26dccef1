"""REST API of hints: the same services as the room socket, so both paths broadcast the same events.

GET/POST /api/photos/{id}/hints/, GET/PATCH/DELETE /api/hints/{id}/, GET /api/photos/{id}/hint-events/,
POST /api/photos/{id}/hints/undo/. Writes name the hint revision they edit; a retried request_id
(body field or Idempotency-Key header) is applied once.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from archive.access import get_photo_for
from colorize.access import get_hint_for
from colorize.serializers import HintCreateSerializer, HintEditSerializer, HintSerializer, hint_json
from colorize.services import hints as services
from config.api import error_body, invalid
from config.schema import ERROR_REF

HintChangeSerializer = inline_serializer(
    "HintChange",
    {
        "hint": HintSerializer(),
        "room_revision": serializers.IntegerField(),
        "duplicate": serializers.BooleanField(),
    },
)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise invalid({"body": _("must be a JSON object")}, message=_("send a JSON object"))
    return dict(request.data)


def _request_id(request, body: dict):
    return body.pop("request_id", None) or request.headers.get("Idempotency-Key") or None


def _changed(change: services.HintChange, created: bool = False) -> Response:
    code = status.HTTP_201_CREATED if created and not change.duplicate else status.HTTP_200_OK
    return Response(
        {"hint": change.hint, "room_revision": change.room_revision, "duplicate": change.duplicate},
        status=code,
    )


def _stale(exc: services.StaleRevision) -> Response:
    return Response({**error_body(exc.code, exc.message, exc.fields), "hint": exc.current}, status=409)


class PhotoHintsView(APIView):
    permission_classes = [AllowAny]  # services decide: outsiders get 404, low roles 403

    @extend_schema(
        responses=inline_serializer(
            "HintList", {"room_revision": serializers.IntegerField(), "hints": HintSerializer(many=True)}
        )
    )
    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id)
        include_deleted = request.query_params.get("include_deleted") in ("1", "true")
        revision, hints = services.room_state(photo.pk)
        if include_deleted:
            hints = services.live_hints(photo.pk, include_deleted=True)
        return Response({"room_revision": revision, "hints": hints})

    @extend_schema(
        request=HintCreateSerializer,
        responses={
            201: HintChangeSerializer,
            200: OpenApiResponse(HintChangeSerializer, description="a retried request_id: the hint it added"),
        },
    )
    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id)
        body = _body(request)
        request_id = _request_id(request, body)
        return _changed(services.do_add_hint(request.user, photo, body, request_id=request_id), created=True)


class HintDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=HintSerializer)
    def get(self, request, hint_id):
        hint = get_hint_for(request.user, hint_id)
        return Response(
            hint_json(services.Hint.objects.select_related("created_by", "verified_by").get(pk=hint.pk))
        )

    @extend_schema(request=HintEditSerializer, responses=HintChangeSerializer)
    def patch(self, request, hint_id):
        """Change fields (name `revision`). `"status": "verified"` verifies (reviewers; needs evidence)."""
        hint = get_hint_for(request.user, hint_id)
        body = _body(request)
        request_id = _request_id(request, body)
        revision = body.pop("revision", None)
        try:
            if "status" in body:
                wanted = body.pop("status")
                if wanted not in ("verified", "suggested"):
                    raise invalid({"status": _("invalid")}, message=_("status is verified or suggested"))
                change = services.do_verify_hint(
                    request.user,
                    hint,
                    revision,
                    evidence=body,
                    verified=wanted == "verified",
                    request_id=request_id,
                )
            else:
                change = services.do_update_hint(request.user, hint, body, revision, request_id=request_id)
        except services.StaleRevision as exc:
            return _stale(exc)
        return _changed(change)

    @extend_schema(responses=HintChangeSerializer)
    def delete(self, request, hint_id):
        """Soft delete; name the revision (`?revision=N` or a JSON body)."""
        hint = get_hint_for(request.user, hint_id)
        body = request.data if isinstance(request.data, dict) else {}
        revision = request.query_params.get("revision") or body.get("revision")
        request_id = body.get("request_id") or request.headers.get("Idempotency-Key") or None
        try:
            change = services.do_delete_hint(request.user, hint, revision, request_id=request_id)
        except services.StaleRevision as exc:
            return _stale(exc)
        return _changed(change)


class PhotoHintUndoView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer("HintUndo", {"event": serializers.IntegerField(required=False)}),
        responses={
            200: HintChangeSerializer,
            409: OpenApiResponse(
                ERROR_REF,
                description="nothing left to undo, already undone, or the hint changed since (stale: the "
                "error carries the hint as it is now)",
            ),
        },
    )
    def post(self, request, photo_id):
        """Undo your latest change, or the event at room revision `event`."""
        photo = get_photo_for(request.user, photo_id, Role.CURATOR)
        body = _body(request)
        request_id = _request_id(request, body)
        try:
            change = services.do_undo(request.user, photo, body.get("event"), request_id=request_id)
        except services.StaleRevision as exc:
            return _stale(exc)
        return _changed(change)


class HintEventSerializer(serializers.Serializer):
    """One entry of the log: the frame that was broadcast to the room."""

    type = serializers.ChoiceField(choices=["hint.added", "hint.updated", "hint.deleted"])
    room_revision = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["add", "update", "delete", "verify", "unverify", "undo"])
    hint = HintSerializer()
    by = inline_serializer("Actor", {"id": serializers.IntegerField(), "username": serializers.CharField()})
    request_id = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    undo_of = serializers.IntegerField(allow_null=True)


class PhotoHintEventsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "HintEventLog",
            {
                "room_revision": serializers.IntegerField(),
                "since": serializers.IntegerField(),
                "events": HintEventSerializer(many=True),
            },
        )
    )
    def get(self, request, photo_id):
        """The audit log: events after `?since=REV` (default 0), at most `?limit=` (default and max 1000)."""
        photo = get_photo_for(request.user, photo_id)
        try:
            since = int(request.query_params.get("since", 0))
            limit = min(max(int(request.query_params.get("limit", 1000)), 1), 1000)
            hint = int(request.query_params["hint"]) if request.query_params.get("hint") else None
        except ValueError:
            raise invalid({"since": _("integer")}, message=_("since, limit and hint are integers")) from None
        events = services.events_since(photo.pk, since, limit=limit, hint_id=hint)
        return Response({"room_revision": services.room_revision(photo.pk), "since": since, "events": events})


class HintEvidenceImageView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "EvidenceImage", {"image": serializers.ImageField(), "revision": serializers.IntegerField()}
            )
        },
        responses=HintChangeSerializer,
    )
    def post(self, request, hint_id):
        """Attach a reference image (JPEG/PNG/WebP/TIFF, at most 10 MiB) to the hint's evidence."""
        hint = get_hint_for(request.user, hint_id)
        request_id = request.data.get("request_id") or request.headers.get("Idempotency-Key") or None
        try:
            change = services.do_set_evidence_image(
                request.user,
                hint,
                request.FILES.get("image"),
                request.data.get("revision"),
                request_id=request_id,
            )
        except services.StaleRevision as exc:
            return _stale(exc)
        return _changed(change)
