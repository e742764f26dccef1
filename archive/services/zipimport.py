"""Batches: ZIP upload with an optional metadata.csv, CSV metadata, directory walks (import_photos)."""

import csv
import io
import os
import posixpath
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings

from archive.models import Collection
from archive.services.errors import DuplicatePhoto
from archive.services.errors import invalid as _invalid
from archive.services.ingest import check_upload, do_ingest_photo
from archive.services.photos import METADATA_FIELDS, check_photo_metadata
from config.api import ServiceError

# ZIP bulk upload guards (settings.ZIP_MAX_ENTRIES / ZIP_MAX_RATIO override them).
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 1_000  # uncompressed / compressed, per member; real scans compress far less


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

    def counts(self) -> dict:
        counts = {"ok": 0, "duplicate": 0, "error": 0, "skipped": 0}
        for result in self.results:
            counts[result.status] += 1
        return counts


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
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if "filename" not in columns:
        raise _invalid({"metadata": "the CSV needs a 'filename' column"})
    unknown = sorted(set(columns) - set(METADATA_FIELDS) - {"filename"})
    if unknown:
        raise _invalid(
            {"metadata": f"unknown column(s) {', '.join(unknown)}; use {', '.join(METADATA_FIELDS)}"}
        )
    rows = {}
    for row in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        filename = row.pop("filename")
        if filename:
            rows[filename] = {k: v for k, v in row.items() if v != ""}
    return rows


def metadata_for(rows: Mapping[str, dict], relative_name: str) -> dict | None:
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


class _CappedReader:
    """Reads a zip member but never more than `limit` bytes (a lying header cannot inflate past it)."""

    def __init__(self, raw, limit):
        self.raw = raw
        self.left = limit + 1

    def read(self, size=-1):
        if self.left <= 0:
            return b""
        size = self.left if size is None or size < 0 else min(size, self.left)
        chunk = self.raw.read(size)
        self.left -= len(chunk)
        return chunk


def do_ingest_zip(user, collection: Collection, fileobj, metadata: Mapping | None = None) -> BatchReport:
    """Ingest every image of a ZIP archive; one bad member never aborts the others.

    A `metadata.csv` at the archive's root maps member names to metadata (like import_photos --metadata);
    `metadata` applies to every member (the CSV row wins field by field).
    """
    check_upload(user, collection)
    common = dict(metadata or {})
    check_photo_metadata(common)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ServiceError("bad_zip", "the file is not a ZIP archive", fields={"file": [str(exc)]}) from exc
    max_entries = getattr(settings, "ZIP_MAX_ENTRIES", ZIP_MAX_ENTRIES)
    max_ratio = getattr(settings, "ZIP_MAX_RATIO", ZIP_MAX_RATIO)
    report = BatchReport()
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > max_entries:
            raise ServiceError(
                "zip_too_many_entries",
                f"the archive has {len(members)} files; the limit is {max_entries}",
                status_code=413,
            )
        rows: dict[str, dict] = {}
        csv_member = next((m for m in members if m.filename == "metadata.csv"), None)
        if csv_member is not None:
            if csv_member.file_size > 10 * 1024 * 1024:
                raise ServiceError("metadata_too_large", "metadata.csv is larger than 10 MB", status_code=413)
            rows = parse_metadata_csv(archive.read(csv_member).decode("utf-8-sig"))
        for member in sorted(members, key=lambda m: m.filename):
            name = member.filename
            if member is csv_member:
                continue
            if _unsafe_zip_name(name):
                report.results.append(
                    IngestResult(name, "error", code="unsafe_path", message="absolute or '..' path refused")
                )
                continue
            if _skipped_zip_member(name):
                report.results.append(IngestResult(name, "skipped", message="hidden or system file"))
                continue
            if member.flag_bits & 0x1:
                report.results.append(
                    IngestResult(name, "error", code="encrypted", message="encrypted members are refused")
                )
                continue
            if member.file_size > settings.MAX_UPLOAD_BYTES:
                report.results.append(
                    IngestResult(
                        name,
                        "error",
                        code="file_too_large",
                        message=f"larger than the limit of {settings.MAX_UPLOAD_BYTES:,} bytes",
                    )
                )
                continue
            if member.compress_size and member.file_size / member.compress_size > max_ratio:
                report.results.append(
                    IngestResult(
                        name,
                        "error",
                        code="zip_bomb",
                        message=f"compression ratio above {max_ratio}:1 refused",
                    )
                )
                continue
            member_metadata = {**common, **(metadata_for(rows, name) or {})}
            try:
                with archive.open(member) as raw:
                    reader = _CappedReader(raw, settings.MAX_UPLOAD_BYTES)
                    result = ingest_one(user, collection, reader, name, member_metadata)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                result = IngestResult(name, "error", code="bad_zip_member", message=str(exc))
            report.results.append(result)
    return report


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
