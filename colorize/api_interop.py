"""REST views of the interoperability jobs: a collection's BagIt export and a IIIF import (docs/interop.md).
Both answer 202 with a status URL, like a heavy ZIP upload."""

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from archive.access import get_collection_for
from colorize import bagit_export
from colorize.models import InteropKind
from colorize.services import iiif_import
from colorize.services.interop import check_job, job_dict
from config.schema import ERROR


class InteropJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InteropKind.choices)
    collection = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    total = serializers.IntegerField(help_text="photos to export, or canvases to import")
    processed = serializers.IntegerField(help_text="items reported so far")
    counts = serializers.DictField(child=serializers.IntegerField())
    results = serializers.ListField(child=serializers.DictField(), help_text="one entry per photo or canvas")
    error = serializers.CharField()
    created = serializers.DateTimeField()
    status_url = serializers.URLField()
    download_url = serializers.URLField(
        required=False, allow_null=True, help_text="BagIt: the ZIP, when done"
    )
    byte_size = serializers.IntegerField(required=False, allow_null=True)
    manifest = serializers.URLField(required=False, help_text="IIIF import: the manifest URL")


class IiifImportRequestSerializer(serializers.Serializer):
    manifest = serializers.CharField(
        max_length=2000, help_text="http(s) URL of a IIIF Presentation 3 or 2.x manifest"
    )


def _accepted(request, job):
    body = job_dict(request, job)
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


class BagitExportStartView(APIView):
    @extend_schema(
        summary="Export the collection as a BagIt bag (owners and reviewers)",
        description="Answered 202 with a status URL; when the job is done its JSON has `download_url`, a ZIP "
        "holding one BagIt 1.0 bag (SHA-256 and SHA-512 manifests): the originals byte for byte, the published "
        "restorations with their XMP/C2PA, every version's provenance, the hints as W3C Web Annotations, the "
        "IIIF manifests and the Dublin Core metadata as CSV and JSON.",
        request=None,
        responses={202: InteropJobSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, pk):
        collection = get_collection_for(request.user, pk, Role.REVIEWER)
        job = bagit_export.do_request_bagit_export(request.user, collection, request.build_absolute_uri("/"))
        return _accepted(request, job)


class BagitExportView(APIView):
    @extend_schema(
        summary="Progress of a BagIt export, and its download URL when done",
        responses={200: InteropJobSerializer, 404: ERROR},
    )
    def get(self, request, pk):
        return Response(job_dict(request, check_job(request.user, pk, InteropKind.BAGIT_EXPORT)))


class BagitExportDownloadView(APIView):
    @extend_schema(summary="The finished BagIt ZIP", responses={(200, "application/zip"): bytes, 404: ERROR})
    def get(self, request, pk):
        job = check_job(request.user, pk, InteropKind.BAGIT_EXPORT)
        if job.status != "done" or not job.file:
            from config.api import NotFound

            raise NotFound()
        response = FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=f"findcolor-collection-{job.collection_id}-bag.zip",
            content_type="application/zip",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class IiifImportStartView(APIView):
    @extend_schema(
        summary="Import the canvases of a IIIF manifest into the collection (curators)",
        description="Answered 202 with a status URL whose JSON reports the progress and each canvas "
        "(imported, skipped as already imported, or an error with its reason).",
        request=IiifImportRequestSerializer,
        responses={202: InteropJobSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, pk):
        collection = get_collection_for(request.user, pk, Role.CURATOR)
        serializer = IiifImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = iiif_import.do_request_iiif_import(
            request.user, collection, serializer.validated_data["manifest"]
        )
        return _accepted(request, job)


class IiifImportView(APIView):
    @extend_schema(
        summary="Progress and per-canvas report of a IIIF import",
        responses={200: InteropJobSerializer, 404: ERROR},
    )
    def get(self, request, pk):
        return Response(job_dict(request, check_job(request.user, pk, InteropKind.IIIF_IMPORT)))
