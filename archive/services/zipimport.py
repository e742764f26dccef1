"""Batches: ZIP upload with an optional metadata.csv, CSV metadata, directory walks (import_photos).

ZIPs are read through archive.zipsafe (names in UTF-8 or CP949, structure checked before inflating, a budget
on the bytes actually inflated); heavy archives are ingested by a background job (UploadBatch). See
docs/uploads.md.
"""

import csv
import io
import json
import os
import posixpath
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive.access import check_role
from archive.models import Collection, JobStatus, UploadBatch
from archive.services.errors import DuplicatePhoto
from archive.services.ingest import check_upload, do_ingest_photo
from archive.services.photos import METADATA_FIELDS, check_photo_metadata
from archive.zipsafe import Budget, BudgetedReader, check_structure, decode_text, nfc, open_archive
from config import jobs
from config.api import ServiceError, invalid

METADATA_MAX_BYTES = 10 * 1024 * 1024  # a metadata.csv larger than this is no spreadsheet


@dataclass
class IngestResult:
    name: str
    status: str  # ok | duplicate | error | skipped
    photo_id: int | None = None
    code: str = ""
    message: str = ""

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "photo_id": self.photo_id,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class BatchReport:
    results: list[IngestResult] = field(default_factory=list)
    name_encoding: str = ""  # how the ZIP's member names were decoded (utf-8, cp949, cp437)
    metadata_encoding: str = ""  # how metadata.csv was decoded ("" when there is none)

    def counts(self) -> dict:
        counts = {"ok": 0, "duplicate": 0, "error": 0, "skipped": 0}
        for result in self.results:
            counts[result.status] += 1
        return counts

    def as_dict(self) -> dict:
        return {
            "counts": self.counts(),
            "results": [r.as_dict() for r in self.results],
            "name_encoding": self.name_encoding,
            "metadata_encoding": self.metadata_encoding,
        }


def ingest_one(user, collection, fileobj, name: str, metadata: Mapping | None) -> IngestResult:
    """do_ingest_photo for batches: never raises for a bad file, reports it instead."""
    try:
        photo = do_ingest_photo(user, collection, fileobj, name, metadata)
    except DuplicatePhoto as exc:
        return IngestResult(name, "duplicate", exc.existing_id, exc.code, exc.message)
    except ServiceError as exc:
        return IngestResult(name, "error", None, exc.code, exc.message)
    return IngestResult(name, "ok", photo.pk)


def parse_metadata_csv(text: str) -> dict[str, dict]:
    """CSV with a `filename` column and any of the metadata columns -> {filename: {field: value}}."""
    try:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        columns = [c.strip() for c in (reader.fieldnames or [])]
        if "filename" not in columns:
            raise invalid({"metadata": _("the CSV needs a 'filename' column")})
        unknown = sorted(set(columns) - set(METADATA_FIELDS) - {"filename"})
        if unknown:
            raise invalid(
                {
                    "metadata": _("unknown column(s) %(unknown)s; use %(known)s")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(METADATA_FIELDS)}
                }
            )
        rows = {}
        for row in reader:
            row = {(k or "").strip(): (v if isinstance(v, str) else "").strip() for k, v in row.items()}
            filename = nfc(row.pop("filename"))
            if filename:
                rows[filename] = {k: v for k, v in row.items() if v != ""}
    except csv.Error as exc:
        raise invalid({"metadata": _("the CSV could not be read: %(detail)s") % {"detail": exc}}) from exc
    return rows


def read_metadata_csv(data: bytes, what: str = "metadata.csv") -> tuple[dict[str, dict], str]:
    """Rows of a metadata CSV given as bytes (UTF-8 with or without BOM, UTF-16 with BOM, CP949/EUC-KR)
    and the encoding it was read as. Undecodable text is a 400 (metadata_encoding), never a 500."""
    decoded = decode_text(data, what)
    return parse_metadata_csv(decoded.text), decoded.encoding


def metadata_for(rows: Mapping[str, dict], relative_name: str) -> dict | None:
    relative_name = nfc(relative_name)
    return rows.get(relative_name) or rows.get(posixpath.basename(relative_name))


def _unsafe_zip_name(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        normalized.startswith("/")
        or (len(normalized) > 1 and normalized[1] == ":")
        or ".." in normalized.split("/")
        or "\x00" in normalized
    )


def _skipped_zip_member(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts if p)


@dataclass
class PreparedZip:
    """An archive whose structure has been checked, with its metadata.csv rows; nothing else inflated yet."""

    archive: zipfile.ZipFile
    members: list[zipfile.ZipInfo]
    csv_member: zipfile.ZipInfo | None
    rows: dict[str, dict]
    name_encoding: str
    metadata_encoding: str
    budget: Budget

    def close(self):
        self.archive.close()


def prepare_zip(fileobj) -> PreparedZip:
    """Open and check a ZIP (entry count, names, structure, metadata.csv). Raises ServiceError (4xx)."""
    archive, name_encoding = open_archive(fileobj)
    try:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > settings.ZIP_MAX_ENTRIES:
            raise ServiceError(
                "zip_too_many_entries",
                _("the archive has %(count)s files; the limit is %(limit)s")
                % {"count": len(members), "limit": settings.ZIP_MAX_ENTRIES},
                status_code=413,
            )
        check_structure(archive, name_encoding)
        budget = Budget(settings.ZIP_MAX_INFLATED_BYTES)
        rows: dict[str, dict] = {}
        metadata_encoding = ""
        csv_member = next((m for m in members if nfc(m.filename) == "metadata.csv"), None)
        if csv_member is not None:
            data = _read_member(archive, csv_member, METADATA_MAX_BYTES, budget)
            rows, metadata_encoding = read_metadata_csv(data)
    except BaseException:
        archive.close()
        raise
    return PreparedZip(archive, members, csv_member, rows, name_encoding, metadata_encoding, budget)


def _budgeted(archive, member, limit: int, budget: Budget, raw):
    return BudgetedReader(
        raw,
        member_limit=limit,
        compressed_size=member.compress_size,
        max_ratio=settings.ZIP_MAX_RATIO,
        budget=budget,
    )


def _read_member(archive, member, limit: int, budget: Budget) -> bytes:
    try:
        with archive.open(member) as raw:
            reader = _budgeted(archive, member, limit, budget, raw)
            chunks = []
            while chunk := reader.read(1024 * 1024):
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ServiceError(
            "bad_zip_member",
            _("%(name)s could not be read: %(detail)s") % {"name": member.filename, "detail": exc},
        ) from exc
    return b"".join(chunks)


def ingest_members(
    user, collection: Collection, prepared: PreparedZip, common: Mapping, *, skip=(), on_result=None
) -> BatchReport:
    """Ingest every image member in name order; one bad member never aborts the others (only an archive
    that inflates past its whole budget stops the rest). `skip`: names already reported (a resumed batch)."""
    report = BatchReport(name_encoding=prepared.name_encoding, metadata_encoding=prepared.metadata_encoding)
    for member in sorted(prepared.members, key=lambda m: nfc(m.filename)):
        name = nfc(member.filename)
        if member is prepared.csv_member or name in skip:
            continue
        result = _ingest_member(user, collection, prepared, member, name, common)
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    return report


def _ingest_member(user, collection, prepared: PreparedZip, member, name: str, common) -> IngestResult:
    if _unsafe_zip_name(name):
        return IngestResult(name, "error", code="unsafe_path", message=_("absolute or '..' path refused"))
    if _skipped_zip_member(name):
        return IngestResult(name, "skipped", message=_("hidden or system file"))
    if member.flag_bits & 0x1:
        return IngestResult(name, "error", code="encrypted", message=_("encrypted members are refused"))
    if prepared.budget.exhausted:
        return IngestResult(
            name,
            "error",
            code="zip_budget",
            message=_("not read: the archive inflated past its budget of %(limit)s bytes")
            % {"limit": f"{prepared.budget.total:,}"},
        )
    if member.file_size > settings.MAX_UPLOAD_BYTES:
        return IngestResult(
            name,
            "error",
            code="file_too_large",
            message=_("larger than the limit of %(limit)s bytes")
            % {"limit": f"{settings.MAX_UPLOAD_BYTES:,}"},
        )
    if member.compress_size and member.file_size / member.compress_size > settings.ZIP_MAX_RATIO:
        return IngestResult(
            name,
            "error",
            code="zip_bomb",
            message=_("compression ratio above %(ratio)s:1 refused") % {"ratio": settings.ZIP_MAX_RATIO},
        )
    member_metadata = {**common, **(metadata_for(prepared.rows, name) or {})}
    try:
        with prepared.archive.open(member) as raw:
            reader = _budgeted(prepared.archive, member, settings.MAX_UPLOAD_BYTES, prepared.budget, raw)
            return ingest_one(user, collection, reader, name, member_metadata)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        return IngestResult(name, "error", code="bad_zip_member", message=str(exc))


def do_ingest_zip(user, collection: Collection, fileobj, metadata: Mapping | None = None) -> BatchReport:
    """Ingest every image of a ZIP archive now, in the caller's thread; one bad member never aborts the others.

    A `metadata.csv` at the archive's root maps member names to metadata (like import_photos --metadata);
    `metadata` applies to every member (the CSV row wins field by field).
    """
    check_upload(user, collection)
    common = dict(metadata or {})
    check_photo_metadata(common)
    prepared = prepare_zip(fileobj)
    try:
        return ingest_members(user, collection, prepared, common)
    finally:
        prepared.close()


def do_upload_zip(user, collection: Collection, upload, metadata: Mapping | None = None):
    """A ZIP upload: checked in the request (structure, names, metadata.csv); ingested at once when small
    (returns a BatchReport), else stored and ingested by a background job (returns the UploadBatch)."""
    check_upload(user, collection)
    common = dict(metadata or {})
    check_photo_metadata(common)
    prepared = prepare_zip(upload)
    size = getattr(upload, "size", None) or 0
    if size <= settings.ZIP_SYNC_MAX_BYTES and len(prepared.members) <= settings.ZIP_SYNC_MAX_MEMBERS:
        try:
            return ingest_members(user, collection, prepared, common)
        finally:
            prepared.close()
    total = len([m for m in prepared.members if m is not prepared.csv_member])
    prepared.close()
    upload.seek(0)
    batch = UploadBatch(
        collection=collection,
        uploaded_by=user,
        archive_name=os.path.basename(str(getattr(upload, "name", "") or ""))[:300],
        metadata=json.loads(json.dumps(common, default=str)),  # API fields: strings and slug lists
        total=total,
        report={
            "counts": BatchReport().counts(),
            "results": [],
            "name_encoding": prepared.name_encoding,
            "metadata_encoding": prepared.metadata_encoding,
        },
    )
    with transaction.atomic():
        batch.archive.save("batch.zip", File(upload), save=False)
        batch.save()
        jobs.enqueue("archive.services.zipimport.run_zip_batch", batch.pk)
    return batch


def run_zip_batch(batch_id: int) -> str:
    """Job: ingest a stored batch, recording progress and the report after every member. Resumable: a
    retried job skips the members already reported (and a re-read duplicate is reported as such anyway)."""
    batch = UploadBatch.objects.select_related("collection", "uploaded_by").start(batch_id)
    if batch is None:
        return "gone or ended"
    report = dict(batch.report or {})
    results = list(report.get("results") or [])
    try:
        check_upload(batch.uploaded_by, batch.collection)
        with batch.archive.open("rb") as handle:
            prepared = prepare_zip(handle)
            try:

                def record(result: IngestResult):
                    results.append(result.as_dict())
                    counts = BatchReport([IngestResult(**r) for r in results]).counts()
                    UploadBatch.objects.filter(pk=batch_id).update(  # also the batch's heartbeat
                        processed=len(results),
                        report={**report, "counts": counts, "results": results},
                        updated=timezone.now(),
                    )

                ingest_members(
                    batch.uploaded_by,
                    batch.collection,
                    prepared,
                    batch.metadata,
                    skip={r["name"] for r in results},
                    on_result=record,
                )
            finally:
                prepared.close()
    except (ServiceError, PermissionDenied, Http404, zipfile.BadZipFile, OSError) as exc:
        message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
        UploadBatch.objects.filter(pk=batch_id).update(status=JobStatus.FAILED, error=message[:2000])
        _drop_archive(batch)
        return "failed"
    UploadBatch.objects.filter(pk=batch_id).update(status=JobStatus.DONE, processed=len(results))
    _drop_archive(batch)
    return "done"


def recover_upload_batches(stale_after: timedelta | None = None) -> list[int]:
    """Re-enqueue batches whose job was lost (a server restart in embedded mode, a killed worker, a broker
    outage; archive.models.JobRows.requeue_silent). A running batch writes a heartbeat after every member; the
    job resumes after the last reported member."""
    return UploadBatch.objects.requeue_silent(
        lambda batch: "archive.services.zipimport.run_zip_batch", stale_after
    )


def _drop_archive(batch: UploadBatch) -> None:
    if batch.archive and batch.archive.name:
        batch.archive.storage.delete(batch.archive.name)
        UploadBatch.objects.filter(pk=batch.pk).update(archive="")


def batch_dict(batch: UploadBatch) -> dict:
    report = batch.report or {}
    return {
        "id": batch.pk,
        "collection": batch.collection_id,
        "name": batch.archive_name,
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "counts": report.get("counts") or BatchReport().counts(),
        "results": report.get("results") or [],
        "name_encoding": report.get("name_encoding", ""),
        "metadata_encoding": report.get("metadata_encoding", ""),
        "error": batch.error,
        "created": batch.created.isoformat(),
    }


def check_batch(user, batch_id) -> UploadBatch:
    """The batch if the user may upload to its collection (curators see their collection's batches)."""
    batch = UploadBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise Http404("no such batch")
    check_role(user, batch.collection, Role.CURATOR)
    return batch


def iter_directory(root: str) -> Iterable[str]:
    """Relative paths (with /) of the regular, non-hidden files under root, sorted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            full = os.path.join(dirpath, filename)
            if os.path.isfile(full):
                yield os.path.relpath(full, root).replace(os.sep, "/")
