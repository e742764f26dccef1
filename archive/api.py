"""REST views of the archive: thin, each one parses input, calls a service and serializes the result."""

import os

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Role
from archive import access
from archive import serializers as s
from archive.filters import PhotoFilter, PhotoOrdering
from archive.imaging import ACCEPTED_FORMATS, MIME_TYPES
from archive.models import AuditEntry, Era, Situation
from archive.services import audit, vocabulary
from archive.services.collections import (
    do_add_member,
    do_change_member_role,
    do_create_collection,
    do_remove_member,
    do_update_collection,
)
from archive.services.ingest import do_ingest_photo
from archive.services.photos import do_update_photo_metadata, do_update_photos_metadata
from archive.services.zipimport import BatchReport, batch_dict, check_batch, do_upload_zip
from config.api import ServiceError
from config.schema import ERROR


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def check_content_length(request, limit: int) -> None:
    """Refuse an oversized body from its Content-Length, before reading it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + 64 * 1024:  # room for the multipart envelope and metadata fields
        raise ServiceError(
            "file_too_large",
            _("the upload is larger than the limit of %(limit)s bytes") % {"limit": f"{limit:,}"},
            fields={"file": [_("too large")]},
            status_code=413,
        )


def _metadata(validated: dict) -> dict:
    return {k: v for k, v in validated.items() if k != "file"}


# ----------------------------------------------------------------------------------------------- collections


@extend_schema_view(
    get=extend_schema(summary="Collections you may read"),
    post=extend_schema(
        summary="Create a collection (you become its owner)", responses={201: s.CollectionSerializer}
    ),
)
class CollectionListView(generics.ListCreateAPIView):
    serializer_class = s.CollectionSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return access.visible_collections(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        collection = do_create_collection(request.user, serializer.validated_data)
        collection = access.visible_collections(request.user).get(pk=collection.pk)
        return Response(self.get_serializer(collection).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="One collection", responses={200: s.CollectionSerializer, 404: ERROR}),
    patch=extend_schema(
        summary="Edit a collection (owner)", responses={200: s.CollectionSerializer, 403: ERROR, 404: ERROR}
    ),
)
class CollectionDetailView(generics.GenericAPIView):
    serializer_class = s.CollectionSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def _load(self):
        access.get_collection_for(self.request.user, self.kwargs["pk"])
        return access.visible_collections(self.request.user).get(pk=self.kwargs["pk"])

    def get(self, request, pk):
        return Response(self.get_serializer(self._load()).data)

    def patch(self, request, pk):
        collection = access.get_collection_for(request.user, pk)
        serializer = self.get_serializer(collection, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        do_update_collection(request.user, collection, serializer.validated_data)
        return Response(self.get_serializer(self._load()).data)


@extend_schema_view(
    get=extend_schema(
        summary="The audit trail of a collection (owner), newest first",
        parameters=[
            OpenApiParameter("action", str, description="a family (member) or an action (member.add)"),
            OpenApiParameter("actor", str, description="a username"),
        ],
        responses={200: s.AuditEntrySerializer(many=True), 403: ERROR, 404: ERROR},
    )
)
class AuditListView(generics.GenericAPIView):
    serializer_class = s.AuditEntrySerializer
    queryset = AuditEntry.objects.none()  # for the schema; the view loads through the audit service
    pagination_class = Pagination

    def get(self, request, pk):
        collection = access.get_collection_for(request.user, pk)
        entries = audit.audit_entries(request.user, collection, request.query_params)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary="Members of a collection (members only)", responses={200: s.MembershipSerializer(many=True)}
    ),
    post=extend_schema(
        summary="Add a member (owner)",
        request=s.MembershipSerializer,
        responses={201: s.MembershipSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
    ),
)
class MemberListView(generics.GenericAPIView):
    serializer_class = s.MembershipSerializer
    queryset = Membership.objects.none()  # for the schema; the views load through services
    pagination_class = None

    def get(self, request, pk):
        collection = access.get_collection_for(request.user, pk)
        if not collection.is_member(request.user):
            raise ServiceError("permission_denied", _("only members see the member list"), status_code=403)
        memberships = collection.memberships.select_related("user").order_by("-role", "user__username")
        return Response(self.get_serializer(memberships, many=True).data)

    def post(self, request, pk):
        collection = access.get_collection_for(request.user, pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = do_add_member(
            request.user,
            collection,
            serializer.validated_data["user"]["username"],
            serializer.validated_data["role"],
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    patch=extend_schema(
        summary="Change a member's role (owner)",
        request=s.MembershipRoleSerializer,
        responses={200: s.MembershipSerializer, 403: ERROR, 404: ERROR},
    ),
    delete=extend_schema(summary="Remove a member (owner)", responses={204: None, 403: ERROR, 404: ERROR}),
)
class MemberDetailView(generics.GenericAPIView):
    serializer_class = s.MembershipSerializer
    queryset = Membership.objects.none()
    http_method_names = ["patch", "delete", "options"]

    def patch(self, request, pk, username):
        collection = access.get_collection_for(request.user, pk)
        serializer = s.MembershipRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = do_change_member_role(
            request.user, collection, username, serializer.validated_data["role"]
        )
        return Response(self.get_serializer(membership).data)

    def delete(self, request, pk, username):
        collection = access.get_collection_for(request.user, pk)
        do_remove_member(request.user, collection, username)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------------------------- uploads


class PhotoUploadView(generics.GenericAPIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = s.PhotoUploadSerializer

    @extend_schema(
        summary="Upload one photo (curator)",
        description="The format is sniffed from the content. The original is kept byte for byte; "
        "thumbnail, web and gray derivatives are made in the background.",
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 413: ERROR, 415: ERROR},
    )
    def post(self, request, pk):
        collection = access.get_collection_for(request.user, pk, Role.CURATOR)
        check_content_length(request, settings.MAX_UPLOAD_BYTES)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        photo = do_ingest_photo(
            request.user, collection, upload, upload.name, _metadata(serializer.validated_data)
        )
        photo = access.visible_photos(request.user).get(pk=photo.pk)
        return Response(s.PhotoSerializer(photo, context={"request": request}).data, status=201)


class ZipUploadView(generics.GenericAPIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = s.ZipUploadSerializer

    @extend_schema(
        summary="Upload a ZIP of photos (curator)",
        description="Each member is ingested on its own: one bad file never aborts the rest. The report "
        "lists every member as ok, duplicate, error (with a reason) or skipped, and the encodings the member "
        "names and metadata.csv were read in. The archive's structure is checked first (overlapping or "
        "repeated members are refused as a whole). A small archive is ingested in the request (200 with the "
        "report); a heavy one is answered 202 with a batch whose progress and report are at its status URL.",
        request={"multipart/form-data": s.ZipUploadSerializer},
        responses={
            200: s.ZipReportSerializer,
            202: s.UploadBatchSerializer,
            400: ERROR,
            403: ERROR,
            404: ERROR,
            413: ERROR,
        },
    )
    def post(self, request, pk):
        collection = access.get_collection_for(request.user, pk, Role.CURATOR)
        check_content_length(request, settings.MAX_ZIP_BYTES)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = do_upload_zip(
            request.user, collection, serializer.validated_data["file"], _metadata(serializer.validated_data)
        )
        if isinstance(outcome, BatchReport):
            return Response(outcome.as_dict())
        body = _batch_body(request, outcome)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


def _batch_body(request, batch) -> dict:
    return {
        **batch_dict(batch),
        "status_url": request.build_absolute_uri(reverse("upload-batch", args=[batch.pk])),
    }


class UploadBatchView(APIView):
    @extend_schema(
        summary="Progress and per-file report of a background ZIP batch (curators of its collection)",
        responses={200: s.UploadBatchSerializer, 404: ERROR},
    )
    def get(self, request, pk):
        return Response(_batch_body(request, check_batch(request.user, pk)))


# ----------------------------------------------------------------------------------------------- photos


@extend_schema_view(get=extend_schema(summary="Browse and search photos you may read"))
class PhotoListView(generics.ListAPIView):
    serializer_class = s.PhotoSerializer
    pagination_class = Pagination
    filter_backends = [*generics.ListAPIView.filter_backends, PhotoOrdering]
    filterset_class = PhotoFilter
    ordering_fields = ["created", "updated", "title", "date_from", "date_to", "id"]

    def get_queryset(self):
        return access.visible_photos(self.request.user)


@extend_schema_view(
    get=extend_schema(summary="One photo", responses={200: s.PhotoSerializer, 404: ERROR}),
    patch=extend_schema(
        summary="Edit a photo's metadata (curator)",
        request=s.PhotoMetadataSerializer,
        responses={200: s.PhotoSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    ),
)
class PhotoDetailView(generics.GenericAPIView):
    serializer_class = s.PhotoSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def _render(self, pk):
        photo = access.visible_photos(self.request.user).get(pk=pk)
        return Response(self.get_serializer(photo).data)

    def get(self, request, pk):
        access.get_photo_for(request.user, pk)
        return self._render(pk)

    def patch(self, request, pk):
        photo = access.get_photo_for(request.user, pk)
        serializer = s.PhotoMetadataSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        do_update_photo_metadata(request.user, photo, serializer.validated_data)
        return self._render(pk)


# The types an original is downloaded as: those of the formats accepted at upload.
ORIGINAL_TYPES = [MIME_TYPES[name] for name in ACCEPTED_FORMATS]


class PhotoOriginalView(APIView):
    @extend_schema(
        summary="Download the original file, byte for byte",
        description="Its type is the detected format's (image/jpeg, image/png or image/tiff), whatever the "
        "uploaded name said.",
        responses={
            **{(200, mime): OpenApiTypes.BINARY for mime in ORIGINAL_TYPES},
            404: ERROR,
        },
    )
    def get(self, request, pk):
        photo = access.get_photo_for(request.user, pk)
        # The download's name keeps the uploader's stem but always ends in the detected format's extension,
        # and its type is the detected one: a PNG uploaded as x.html downloads as x.png, image/png.
        stem = os.path.splitext(photo.original_name)[0] if photo.original_name else photo.sha256
        filename = f"{stem or photo.sha256}{photo.extension}"
        content_type = MIME_TYPES.get(photo.format) or "application/octet-stream"
        response = FileResponse(
            photo.original.open("rb"), as_attachment=True, filename=filename, content_type=content_type
        )
        response["Content-Length"] = str(photo.byte_size)
        response["ETag"] = f'"{photo.sha256}"'
        response["X-Checksum-SHA256"] = photo.sha256
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema_view(
    post=extend_schema(
        summary="Set the same metadata on many photos of a collection (curators), all or none",
        request=s.BatchMetadataSerializer,
        responses={200: s.BatchMetadataResultSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    )
)
class BatchMetadataView(generics.GenericAPIView):
    serializer_class = s.BatchMetadataSerializer

    def post(self, request, pk):
        collection = access.get_collection_for(request.user, pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = do_update_photos_metadata(
            request.user,
            collection,
            serializer.validated_data["photos"],
            serializer.validated_data["changes"],
        )
        return Response({"updated": [p.pk for p in photos]})


# ----------------------------------------------------------------------------------------------- vocabularies


class _VocabularyList(generics.GenericAPIView):
    """GET lists the vocabulary (anyone); POST adds an entry (staff: every collection shares it)."""

    kind = ""
    pagination_class = None
    permission_classes = [AllowAny]
    filter_backends = []

    def get(self, request):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def post(self, request):
        entry = vocabulary.do_create_entry(request.user, self.kind, request.data)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


class _VocabularyDetail(generics.GenericAPIView):
    """PATCH renames an entry (or changes an era's years); the slug stays, so photos keep theirs."""

    kind = ""
    permission_classes = [AllowAny]
    http_method_names = ["patch", "options"]

    def patch(self, request, slug):
        entry = vocabulary.do_update_entry(request.user, self.kind, slug, request.data)
        return Response(self.get_serializer(entry).data)


VOCABULARY_WRITE = {201: None, 400: ERROR, 403: ERROR, 409: ERROR}


def _vocabulary_views(kind: str, serializer, queryset):
    """The list view and the detail view of one vocabulary (eras, situations), with their schema."""
    documented_list = extend_schema_view(
        get=extend_schema(summary=f"The {kind} vocabulary", responses={200: serializer(many=True)}),
        post=extend_schema(
            summary=f"Add to the {kind} vocabulary (staff)",
            responses={**VOCABULARY_WRITE, 201: serializer},
        ),
    )
    documented_detail = extend_schema_view(
        patch=extend_schema(
            summary=f"Rename an entry of the {kind} vocabulary (staff)",
            responses={200: serializer, 400: ERROR, 403: ERROR, 404: ERROR},
        )
    )
    attrs = {"kind": kind, "serializer_class": serializer, "queryset": queryset, "__module__": __name__}
    name = kind.capitalize()
    return (
        documented_list(type(f"{name}ListView", (_VocabularyList,), attrs)),
        documented_detail(type(f"{name}DetailView", (_VocabularyDetail,), attrs)),
    )


EraListView, EraDetailView = _vocabulary_views("era", s.EraSerializer, Era.objects.select_related("parent"))
SituationListView, SituationDetailView = _vocabulary_views(
    "situation", s.SituationSerializer, Situation.objects.all()
)
