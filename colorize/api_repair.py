"""REST API of repair before colour (docs/repair.md, "Platform"). Thin: every decision is in
colorize/services/repair.py; access by archive/access.py (curators repair, viewers read)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from archive.access import NotFound, as_pk, check_role, get_photo_for
from colorize.models import DamageScan, RepairedBase, RepairMask
from colorize.services import repair as services
from colorize.services import repair_apply, repair_masks, repair_scan
from config.parsers import JSONObjectParser
from config.schema import ERROR


def _png(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


class _JsonErrors(DefaultContentNegotiation):
    """The PNG views answer their errors as JSON whatever the client accepts (never a 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


class _PngView(APIView):
    content_negotiation_class = _JsonErrors
    renderer_classes = [JSONRenderer]


def _get_scan(user, pk, minimum=Role.VIEWER) -> DamageScan:
    scan = DamageScan.objects.select_related("photo__collection__owner", "requested_by").filter(pk=as_pk(pk))
    scan = scan.first()
    if scan is None:
        raise NotFound()
    check_role(user, scan.photo.collection, minimum)
    return scan


def _get_base(user, pk) -> RepairedBase:
    base = RepairedBase.objects.select_related("photo__collection__owner").filter(pk=as_pk(pk)).first()
    if base is None:
        raise NotFound()
    check_role(user, base.photo.collection, Role.VIEWER)
    return base


class PhotoRepairView(APIView):
    """GET: the photo's draft mask, latest damage scan and repaired bases."""

    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        return Response(services.state_json(photo))


class PhotoScansView(APIView):
    """POST: find damage (a background job; 202 with the queued scan)."""

    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        scan = repair_scan.do_find_damage(request.user, photo)
        scan.refresh_from_db()
        return Response(services.scan_json(scan), status=status.HTTP_202_ACCEPTED)


class ScanView(APIView):
    def get(self, request, scan_id):
        return Response(services.scan_json(_get_scan(request.user, scan_id)))


class ScanCancelView(APIView):
    def post(self, request, scan_id):
        scan = _get_scan(request.user, scan_id)
        return Response(services.scan_json(repair_scan.do_cancel_scan(request.user, scan)))


class MaskView(_PngView):
    """GET: the draft mask as an 8-bit PNG (255 = damaged). POST (multipart `mask`): replace it by an upload."""

    parser_classes = [MultiPartParser, FormParser]

    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        repair_mask = RepairMask.objects.filter(photo=photo).first()
        if repair_mask is None or not repair_mask.mask:
            raise NotFound()
        with repair_mask.mask.open("rb") as handle:
            return _png(handle.read(), f"photo-{photo.pk}-mask-r{repair_mask.revision}.png")

    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        repair_mask = repair_masks.do_upload_mask(request.user, photo, request.FILES.get("mask"))
        return Response(services.mask_json(repair_mask), status=status.HTTP_201_CREATED)


class StrokesView(APIView):
    """GET: the stroke log of the mask. POST {"action", "points", "radius"}: paint or erase one stroke."""

    parser_classes = [JSONObjectParser]

    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        repair_mask = RepairMask.objects.filter(photo=photo).first()
        strokes = repair_mask.strokes.select_related("created_by", "undone_by") if repair_mask else []
        return Response({"results": [services.stroke_json(s) for s in strokes]})

    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        change = repair_masks.do_add_stroke(request.user, photo, request.data)
        return Response(
            {"mask": services.mask_json(change.repair_mask), "stroke": services.stroke_json(change.stroke)},
            status=status.HTTP_201_CREATED,
        )


class StrokeUndoView(APIView):
    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        change = repair_masks.do_undo_stroke(request.user, photo)
        return Response(
            {"mask": services.mask_json(change.repair_mask), "stroke": services.stroke_json(change.stroke)}
        )


class PreviewView(_PngView):
    """GET ?revision=N: the repaired working image of that mask revision (8-bit gray PNG), nothing stored."""

    def get(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        data = repair_apply.preview_png(request.user, photo, request.query_params)
        return _png(data, f"photo-{photo.pk}-repair-preview.png")


class ApplyView(APIView):
    """POST {"revision": N}: apply that mask revision as a new repaired base (201), 409 if it changed."""

    parser_classes = [JSONObjectParser]

    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        base = repair_apply.do_apply(request.user, photo, request.data)
        return Response(services.base_json(base), status=status.HTTP_201_CREATED)


class UndoRepairView(APIView):
    """POST: withdraw the active repaired base; the photo is coloured from its original again."""

    def post(self, request, photo_id):
        photo = get_photo_for(request.user, photo_id, Role.VIEWER)
        return Response(services.base_json(repair_apply.do_undo_repair(request.user, photo)))


class BaseView(APIView):
    def get(self, request, base_id):
        return Response(services.base_json(_get_base(request.user, base_id)))


class BaseFileView(_PngView):
    field = ""

    def get(self, request, base_id):
        base = _get_base(request.user, base_id)
        with getattr(base, self.field).open("rb") as handle:
            return _png(handle.read(), f"photo-{base.photo_id}-repair-{base.number}-{self.field}.png")


# ---------------------------------------------------------------------------------------------------------
# OpenAPI: every answer documented (the 400/403/404 errors are added by config/schema.py)

OBJECT = OpenApiTypes.OBJECT
PNG = {(200, "image/png"): OpenApiTypes.BINARY}
UPLOAD = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"mask": {"type": "string", "format": "binary"}},
        "required": ["mask"],
    }
}
_DOCUMENTED = {
    PhotoRepairView: {"get": {200: OBJECT}},
    PhotoScansView: {"post": {202: OBJECT, 409: ERROR}},
    ScanView: {"get": {200: OBJECT}},
    ScanCancelView: {"post": {200: OBJECT, 409: ERROR}},
    StrokesView: {"get": {200: OBJECT}},
    StrokeUndoView: {"post": {200: OBJECT, 409: ERROR}},
    ApplyView: {"post": {201: OBJECT, 409: ERROR, 503: ERROR}},
    UndoRepairView: {"post": {200: OBJECT, 409: ERROR}},
    BaseView: {"get": {200: OBJECT}},
}
for _view, _methods in _DOCUMENTED.items():
    extend_schema_view(
        **{
            method: extend_schema(tags=["repair"], request=OBJECT, responses=responses)
            for method, responses in _methods.items()
        }
    )(_view)
extend_schema_view(
    get=extend_schema(tags=["repair"], responses=PNG),
    post=extend_schema(tags=["repair"], request=UPLOAD, responses={201: OBJECT, 409: ERROR}),
)(MaskView)
extend_schema(
    tags=["repair"],
    parameters=[OpenApiParameter("revision", int, required=True, description="the mask revision to repair")],
    responses={**PNG, 409: ERROR, 503: ERROR},
)(PreviewView)
extend_schema(tags=["repair"], responses=PNG)(BaseFileView)

# One stroke: this body, or the room frame {"type": "repair.stroke", "request_id", "stroke": <this body>}
# (colorize/services/repair_room.py, docs/hint-protocol.md): the same contract, validated by the same service.
STROKE = inline_serializer(
    "RepairStrokeRequest",
    {
        "action": serializers.ChoiceField(
            choices=["add", "remove"], help_text="add = repair brush (marks damage), remove = eraser"
        ),
        "points": serializers.ListField(
            child=serializers.ListField(
                child=serializers.FloatField(min_value=0), min_length=2, max_length=2
            ),
            min_length=1,
            max_length=repair_masks.MAX_STROKE_POINTS,
            help_text="[[x, y], ...] in working-image pixels: 0 <= x < width, 0 <= y < height",
        ),
        "radius": serializers.IntegerField(
            min_value=1,
            max_value=repair_masks.MAX_STROKE_RADIUS,
            default=3,
            help_text="in working-image pixels",
        ),
    },
)
extend_schema_view(
    post=extend_schema(
        tags=["repair"],
        request=STROKE,
        responses={201: OBJECT, 409: ERROR},
        description="Paint or erase one stroke of the draft mask (a new revision, logged, broadcast to the room as "
        "`repair.mask`). Over the photo's room socket the same body is the `stroke` of a `repair.stroke` frame.",
    )
)(StrokesView)
