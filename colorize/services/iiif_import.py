"""Import the canvases of a IIIF Presentation 3 or 2.x manifest into a collection (docs/interop.md).

`do_request_iiif_import` checks the URL (and its host) in the request and answers with a job; the job fetches the
manifest, then for each canvas downloads the largest image available (the image service at full/max, else the
painting body) and stores it through the normal ingest path (archive.services.ingest.do_ingest_photo: format sniffed,
SHA-256, pixel limits). Each canvas is one row of the report: ok, skipped (already imported) or error with its
reason; a canvas that fails stores nothing.

The fetching is colorize/services/iiif_fetch.py (safe against SSRF: every host checked, the connection pinned to
the checked address, every fetch bounded), the reading of the manifest colorize/services/iiif_manifest.py.
Limits: IIIF_IMPORT_MAX_MANIFEST_BYTES for a manifest, MAX_UPLOAD_BYTES for an image, IIIF_IMPORT_MAX_CANVASES,
five redirects, a nesting depth of 64; a manifest must be JSON, an image an image/* (an HTML page is refused, not
ingested).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import Collection, JobStatus, Photo
from archive.services.errors import DuplicatePhoto
from archive.services.ingest import check_upload, do_ingest_photo
from colorize.models import InteropJob, InteropKind
from colorize.services.iiif_fetch import FetchError, check_url, fetch
from colorize.services.iiif_manifest import (
    canvases,
    identifier_of,
    load_manifest,
    metadata_fields,
    presentation_version,
    source_of,
)
from colorize.services.interop import counts
from config import jobs
from config.api import ServiceError, invalid


def do_request_iiif_import(user, collection: Collection, url: str) -> InteropJob:
    check_upload(user, collection)
    url = (url or "").strip()
    try:
        check_url(url)
    except FetchError as exc:
        raise invalid({"manifest": exc.message}, message=exc.message) from None
    with transaction.atomic():
        job = InteropJob.objects.create(
            collection=collection,
            kind=InteropKind.IIIF_IMPORT,
            requested_by=user,
            params={"manifest": url},
            report={"counts": {}, "results": []},
        )
        jobs.enqueue("colorize.services.iiif_import.run_iiif_import", job.pk)
    return job


def _record(job_id: int, results: list[dict], **fields) -> None:
    InteropJob.objects.filter(pk=job_id).update(
        processed=len(results),
        report={"counts": counts(results), "results": results},
        updated=timezone.now(),
        **fields,
    )


def _import_canvas(user, collection, entry: dict, manifest: dict, manifest_id: str, version: int) -> dict:
    result = {
        "canvas": entry["canvas"],
        "index": entry["index"],
        "status": "error",
        "photo_id": None,
        "code": "",
        "message": "",
        "image": "",
    }
    if entry["problem"]:
        return {**result, "code": "bad_canvas", "message": entry["problem"]}
    source = source_of(manifest_id, entry["canvas"])
    existing = Photo.objects.filter(collection=collection, source=source).values_list("pk", flat=True).first()
    if existing:
        return {
            **result,
            "status": "skipped",
            "photo_id": existing,
            "code": "already_imported",
            "message": _("this canvas was imported before"),
        }
    try:
        metadata = metadata_fields(manifest, entry["raw"], manifest_id, entry["canvas"], version)
    except (TypeError, AttributeError, ValueError):
        return {**result, "code": "bad_canvas", "message": _("this canvas's metadata could not be read")}
    last_error = None
    for url in entry["urls"]:
        try:
            fetched = fetch(url, settings.MAX_UPLOAD_BYTES, "image/*")
        except FetchError as exc:
            last_error = (exc.code, exc.message)
            continue
        with fetched.file as body:
            if not fetched.content_type.startswith("image/"):
                last_error = (
                    "not_an_image",
                    _("%(url)s is not an image (it is %(type)s)")
                    % {"url": url[:200], "type": fetched.content_type or "?"},
                )
                continue
            name = f"iiif-{entry['index'] + 1}{_extension(fetched.content_type)}"
            try:
                photo = do_ingest_photo(user, collection, body, name, metadata)
            except DuplicatePhoto as exc:
                return {
                    **result,
                    "status": "skipped",
                    "photo_id": exc.existing_id,
                    "code": "duplicate",
                    "message": exc.message,
                    "image": url,
                }
            except ServiceError as exc:
                last_error = (exc.code, str(exc.message))
                continue
        return {**result, "status": "ok", "photo_id": photo.pk, "image": url, "sha256": photo.sha256}
    code, message = last_error or ("no_image", _("no image could be fetched"))
    return {**result, "code": code, "message": message}


def _extension(content_type: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif"}.get(content_type, "")


def run_iiif_import(job_id: int) -> str:
    """Job: fetch the manifest, import each canvas, report after each. A retried job skips the canvases
    already imported (their dc:source is there)."""
    job = InteropJob.objects.select_related("collection", "requested_by").start(job_id)
    if job is None:
        return "gone or ended"
    url = job.params.get("manifest", "")
    results: list[dict] = []
    try:
        if job.requested_by is None:
            raise FetchError("not_allowed", _("the person who asked for this import is gone"))
        check_upload(job.requested_by, job.collection)
        manifest = load_manifest(url)
        version = presentation_version(manifest)
        manifest_id = identifier_of(manifest) or url
        entries = canvases(manifest, version)
        InteropJob.objects.filter(pk=job_id).update(total=len(entries))
        for entry in entries:
            results.append(
                _import_canvas(job.requested_by, job.collection, entry, manifest, manifest_id, version)
            )
            _record(job_id, results)
    except FetchError as exc:
        _record(job_id, results, status=JobStatus.FAILED, error=exc.message)
        return "failed"
    except ServiceError as exc:  # the requester lost the right to add photos
        _record(job_id, results, status=JobStatus.FAILED, error=str(exc.message))
        return "failed"
    _record(job_id, results, status=JobStatus.DONE)
    return "done"
