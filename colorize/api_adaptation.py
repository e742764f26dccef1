"""REST API of a collection's colour references and of adaptations (docs/adaptation.md). Thin: the services
decide."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from archive.access import get_collection_for
from colorize.models import Adaptation, AdaptationStatus
from colorize.serializers import ReferenceSerializer, reference_json
from colorize.services import adaptation as adaptation_services
from colorize.services import references as reference_services
from config.parsers import JSONObjectParser
from config.schema import ERROR

_NULLABLE = {"allow_null": True, "read_only": True}


class AdaptationSerializer(serializers.Serializer):
    """An adaptation's figures (colorize.services.adaptation.adaptation_json): one schema component."""

    id = serializers.IntegerField()
    scope = serializers.CharField(help_text="collection:ID or context:era/situation ('*': any)")
    status = serializers.ChoiceField(choices=AdaptationStatus.choices)
    passed = serializers.BooleanField(help_text="its held-out gate passed")
    used = serializers.BooleanField(help_text="runs may use it (done and passed)")
    checksum = serializers.CharField()
    model_checksum = serializers.CharField()
    n_references = serializers.IntegerField()
    n_verified_colours = serializers.IntegerField()
    n_heldout = serializers.IntegerField(**_NULLABLE)
    delta_db = serializers.FloatField(**_NULLABLE, help_text="PSNR with minus without, held-out")
    lower_db = serializers.FloatField(
        **_NULLABLE,
        help_text="one-sided 95 % lower bound of delta_db; the gate passes when it is at least its margin",
    )
    variant = serializers.ChoiceField(
        choices=["profile", "calibration"], help_text="what it changes (docs/adaptation.md)"
    )
    psnr_without = serializers.FloatField(**_NULLABLE)
    psnr_with = serializers.FloatField(**_NULLABLE)
    reason = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


AdaptationStateSerializer = inline_serializer(
    "CollectionAdaptation",
    {
        "scope": serializers.CharField(),
        "references": serializers.IntegerField(help_text="the collection's colour references"),
        "min_references": serializers.IntegerField(),
        "building": serializers.BooleanField(help_text="a rebuild is under way"),
        "current": AdaptationSerializer(
            allow_null=True, help_text="the newest finished one (used if passed)"
        ),
        "latest": AdaptationSerializer(
            allow_null=True, help_text="the newest attempt, building or failed too"
        ),
    },
)
_REFS = inline_serializer("CollectionReferenceList", {"results": ReferenceSerializer(many=True)})
_ADAPTATIONS = inline_serializer("AdaptationList", {"results": AdaptationSerializer(many=True)})


@extend_schema(tags=["references"])
class CollectionReferencesView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    @extend_schema(summary="A collection's colour references", responses={200: _REFS, 404: ERROR})
    def get(self, request, collection_id):
        collection = get_collection_for(request.user, collection_id)
        refs = reference_services.list_references(request.user, collection)
        return Response({"results": [reference_json(r) for r in refs]})

    @extend_schema(
        summary="Add a colour reference photo (curators; multipart `image`, `title`, `source`)",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary"}},
            }
        },
        responses={
            201: ReferenceSerializer,
            400: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
            413: ERROR,
            415: ERROR,
        },
    )
    def post(self, request, collection_id):
        collection = get_collection_for(request.user, collection_id)
        ref = reference_services.do_add_reference(request.user, collection, request.data, request.FILES)
        return Response(reference_json(ref), status=status.HTTP_201_CREATED)


@extend_schema(tags=["references"])
class ReferenceView(APIView):
    @extend_schema(
        operation_id="reference_retrieve",
        summary="One of a collection's colour references",
        responses={200: ReferenceSerializer, 404: ERROR},
    )
    def get(self, request, reference_id):
        return Response(reference_json(reference_services.get_reference_for(request.user, reference_id)))

    @extend_schema(
        operation_id="reference_destroy",
        summary="Remove a colour reference (curators)",
        responses={204: None, 403: ERROR, 404: ERROR},
    )
    def delete(self, request, reference_id):
        reference_services.do_remove_reference(request.user, reference_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["references"])
class CollectionAdaptationView(APIView):
    @extend_schema(
        summary="The collection's adaptation: its held-out gate and whether a rebuild is under way",
        responses={200: AdaptationStateSerializer, 404: ERROR},
    )
    def get(self, request, collection_id):
        collection = get_collection_for(request.user, collection_id, Role.VIEWER)
        return Response(adaptation_services.scope_status(collection))


@extend_schema(tags=["references"])
class AdaptationsView(APIView):
    @extend_schema(
        summary="The era/situation adaptations runs may pick (the newest finished one of each scope)",
        responses={200: _ADAPTATIONS},
    )
    def get(self, request):
        rows = Adaptation.objects.filter(Q(collection__isnull=True), status=AdaptationStatus.DONE).order_by(
            "scope", "-finished_at", "-id"
        )
        newest: dict = {}
        for row in rows:
            newest.setdefault(row.scope, row)
        return Response({"results": [adaptation_services.adaptation_json(r) for r in newest.values()]})
