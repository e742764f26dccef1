"""Archive services: check_* validates and authorizes, do_* mutates. Views and commands stay thin.

Upload ingestion guarantees: the format is sniffed from content; byte and pixel limits are enforced before
decoding; the original is stored byte for byte with its SHA-256; a refused file leaves nothing behind
(no row, no file, no derivative); derivatives are made in the background after commit.
"""

import csv
import datetime
import hashlib
import io
import logging
import os
import posixpath
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.http import Http404

from accounts.models import Membership, Role
from accounts.permissions import check_role
from archive import imaging
from archive.models import Collection, DerivativeStatus, Era, Photo, Situation, Visibility
from config import jobs
from config.api import ServiceError

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
METADATA_FIELDS = (
    "title",
    "description",
    "creator",
    "date_display",
    "date_from",
    "date_to",
    "place",
    "source",
    "rights",
    "identifier",
    "era",
    "situations",
)
TEXT_FIELDS = tuple(f for f in METADATA_FIELDS if f not in ("date_from", "date_to", "era", "situations"))
# ZIP bulk upload guards (settings.ZIP_MAX_ENTRIES / ZIP_MAX_RATIO override them).
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 1_000  # uncompressed / compressed, per member; real scans compress far less


# ---------------------------------------------------------------------------------------------------------
# Errors


class DuplicatePhoto(ServiceError):
    def __init__(self, existing: Photo):
        super().__init__(
            "duplicate",
            f"this file is already in the collection as photo {existing.pk} (same SHA-256)",
            fields={"file": [f"duplicate of photo {existing.pk}"]},
            status_code=409,
        )
        self.existing_id = existing.pk


def _invalid(fields: dict[str, str]) -> ServiceError:
    return ServiceError(
        "invalid",
        "; ".join(f"{name}: {message}" for name, message in fields.items()),
        fields={name: [message] for name, message in fields.items()},
    )


# ---------------------------------------------------------------------------------------------------------
# Collections


def visible_collections(user):
    """Collections the user may read, with their photo count and the user's own membership prefetched."""
    queryset = Collection.objects.filter(pk__in=Collection.objects.visible_to(user).values("pk"))
    queryset = queryset.select_related("owner").annotate(photo_count=Count("photos")).order_by("title", "id")
    if user is not None and user.is_authenticated:
        queryset = queryset.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(user=user), to_attr="my_memberships")
        )
    return queryset


def role_from_prefetch(collection, user) -> Role | None:
    """Collection.role_of without a query, for collections from visible_collections()."""
    if user is None or not user.is_authenticated:
        return Role.VIEWER if collection.visibility == Visibility.PUBLIC else None
    if user.is_superuser or collection.owner_id == user.pk:
        return Role.OWNER
    memberships = getattr(collection, "my_memberships", None)
    if memberships is None:
        return collection.role_of(user)
    if memberships:
        return Role(memberships[0].role)
    if collection.visibility in (Visibility.PUBLIC, Visibility.MEMBERS):
        return Role.VIEWER
    return None


def check_collection(user, collection_id, minimum: Role = Role.VIEWER) -> Collection:
    """The collection if the user has at least `minimum` there; 404 when they may not know it exists."""
    collection = Collection.objects.select_related("owner").filter(pk=collection_id).first()
    if collection is None:
        raise Http404("no such collection")
    check_role(user, collection, minimum)
    return collection


def check_collection_data(data: Mapping, *, partial: bool) -> dict:
    cleaned = {}
    errors = {}
    if "title" in data or not partial:
        title = str(data.get("title") or "").strip()
        if not title:
            errors["title"] = "a collection needs a title"
        elif len(title) > 300:
            errors["title"] = "at most 300 characters"
        cleaned["title"] = title
    if "description" in data:
        cleaned["description"] = str(data.get("description") or "")
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            errors["visibility"] = f"use one of {', '.join(Visibility.values)}"
        cleaned["visibility"] = data["visibility"]
    if errors:
        raise _invalid(errors)
    return cleaned


def do_create_collection(user, data: Mapping) -> Collection:
    if user is None or not user.is_authenticated:
        raise ServiceError("not_authenticated", "sign in to create a collection", status_code=401)
    cleaned = check_collection_data(data, partial=False)
    return Collection.objects.create(owner=user, **cleaned)


def do_update_collection(user, collection: Collection, data: Mapping) -> Collection:
    check_role(user, collection, Role.OWNER)
    cleaned = check_collection_data(data, partial=True)
    for name, value in cleaned.items():
        setattr(collection, name, value)
    collection.save()
    return collection


# ---------------------------------------------------------------------------------------------------------
# Members (owners manage them)


def check_role_name(name) -> Role:
    try:
        return Role.from_name(str(name))
    except ValueError as exc:
        raise _invalid({"role": str(exc)}) from exc


def check_member_target(collection: Collection, username):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _invalid({"username": f"no active user named {username!r}"})
    if user.pk == collection.owner_id:
        raise ServiceError(
            "is_owner",
            f"{username} owns this collection already",
            fields={"username": ["the owner is not a member"]},
            status_code=409,
        )
    return user


def do_add_member(actor, collection: Collection, username, role_name) -> Membership:
    check_role(actor, collection, Role.OWNER)
    role = check_role_name(role_name)
    user = check_member_target(collection, username)
    try:
        with transaction.atomic():
            return Membership.objects.create(collection=collection, user=user, role=role)
    except IntegrityError as exc:
        raise ServiceError(
            "already_member",
            f"{username} is already a member; change their role instead",
            fields={"username": ["already a member"]},
            status_code=409,
        ) from exc


def check_membership(actor, collection: Collection, username) -> Membership:
    check_role(actor, collection, Role.OWNER)
    membership = collection.memberships.select_related("user").filter(user__username=username).first()
    if membership is None:
        raise Http404("no such member")
    return membership


def do_change_member_role(actor, collection: Collection, username, role_name) -> Membership:
    membership = check_membership(actor, collection, username)
    membership.role = check_role_name(role_name)
    membership.save(update_fields=["role"])
    return membership


def do_remove_member(actor, collection: Collection, username) -> None:
    check_membership(actor, collection, username).delete()


# ---------------------------------------------------------------------------------------------------------
# Photos: reading


def visible_photos(user):
    """Photos of collections the user may read, ready for serialization in a constant number of queries."""
    return (
        Photo.objects.filter(collection__in=Collection.objects.visible_to(user).values("pk"))
        .select_related("era", "uploaded_by")
        .prefetch_related("situations")
    )


def check_photo(user, photo_id, minimum: Role = Role.VIEWER) -> Photo:
    """The photo if the user has at least `minimum` on its collection; 404 for outsiders."""
    photo = Photo.objects.select_related("collection", "era").filter(pk=photo_id).first()
    if photo is None:
        raise Http404("no such photo")
    check_role(user, photo.collection, minimum)
    return photo


# ---------------------------------------------------------------------------------------------------------
# Photos: metadata


def _parse_date(value, name: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 4 and text.isdigit():  # a bare year
            year = int(text)
            return datetime.date(year, 1, 1) if name == "date_from" else datetime.date(year, 12, 31)
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{text!r} is not a date (use YYYY-MM-DD or YYYY)"
        return None


def _split_slugs(value) -> list[str]:
    if value in (None, ""):
        return []
    items = [value] if isinstance(value, str | Situation) else list(value)
    slugs: list = []
    for item in items:
        if isinstance(item, Situation):
            slugs.append(item)
        else:
            slugs.extend(part.strip() for part in str(item).replace(";", ",").split(",") if part.strip())
    return slugs


def check_photo_metadata(data: Mapping, *, partial: bool = False, current: Photo | None = None) -> dict:
    """Validate Dublin Core fields, era slug and situation slugs. Returns model-ready values.

    `era` may be a slug or an Era; `situations` a list of slugs/Situations or a comma-separated string.
    """
    unknown = sorted(set(data) - set(METADATA_FIELDS))
    if unknown:
        raise _invalid({name: "unknown field" for name in unknown})
    errors: dict[str, str] = {}
    cleaned: dict = {}
    limits = {f.name: f.max_length for f in Photo._meta.get_fields() if f.name in TEXT_FIELDS}
    for name in TEXT_FIELDS:
        if name in data:
            value = "" if data[name] is None else str(data[name]).strip()
            if limits.get(name) and len(value) > limits[name]:
                errors[name] = f"at most {limits[name]} characters"
            cleaned[name] = value
    for name in ("date_from", "date_to"):
        if name in data:
            cleaned[name] = _parse_date(data[name], name, errors)
    date_from = cleaned.get("date_from", current.date_from if current else None)
    date_to = cleaned.get("date_to", current.date_to if current else None)
    if date_from and date_to and date_from > date_to and "date_from" not in errors:
        errors["date_to"] = "the end of the date range is before its start"
    if "era" in data:
        era = data["era"]
        if era in (None, ""):
            cleaned["era"] = None
        elif isinstance(era, Era):
            cleaned["era"] = era
        else:
            cleaned["era"] = Era.objects.filter(slug=str(era).strip()).first()
            if cleaned["era"] is None:
                errors["era"] = f"unknown era {era!r}; see /api/eras/"
    if "situations" in data:
        wanted = _split_slugs(data["situations"])
        objects = [s for s in wanted if isinstance(s, Situation)]
        slugs = [s for s in wanted if not isinstance(s, Situation)]
        found = {s.slug: s for s in Situation.objects.filter(slug__in=slugs)} if slugs else {}
        missing = [s for s in slugs if s not in found]
        if missing:
            errors["situations"] = f"unknown situation(s) {', '.join(missing)}; see /api/situations/"
        cleaned["situations"] = objects + [found[s] for s in slugs if s in found]
    if errors:
        raise _invalid(errors)
    return cleaned


def do_update_photo_metadata(user, photo: Photo, data: Mapping) -> Photo:
    check_role(user, photo.collection, Role.CURATOR)
    cleaned = check_photo_metadata(data, partial=True, current=photo)
    situations = cleaned.pop("situations", None)
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(photo, name, value)
        photo.save()
        if situations is not None:
            photo.situations.set(situations)
    return photo


# ---------------------------------------------------------------------------------------------------------
# Photos: ingestion


def _spool(fileobj, max_bytes: int):
    """Copy the upload into a temporary file while hashing it; refuse it as soon as it passes max_bytes."""
    digest = hashlib.sha256()
    spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    size = 0
    if hasattr(fileobj, "seek"):
        try:
            fileobj.seek(0)
        except (OSError, ValueError):
            pass
    try:
        while True:
            chunk = fileobj.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ServiceError(
                    "file_too_large",
                    f"the file is larger than the limit of {max_bytes:,} bytes",
                    fields={"file": ["too large"]},
                    status_code=413,
                )
            digest.update(chunk)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    if size == 0:
        spooled.close()
        raise ServiceError("empty_file", "the file is empty", fields={"file": ["empty"]})
    spooled.seek(0)
    return spooled, digest.hexdigest(), size


def check_upload(user, collection: Collection) -> None:
    check_role(user, collection, Role.CURATOR)


def do_ingest_photo(user, collection: Collection, fileobj, filename: str, metadata: Mapping | None = None):
    """Store one original byte for byte and return its new Photo; raise ServiceError and store nothing if not.

    Errors: 413 file_too_large / too_many_pixels, 415 unsupported_format / unsupported_mode,
    400 corrupt_image / empty_file / invalid (metadata), 409 duplicate.
    """
    check_upload(user, collection)
    cleaned = check_photo_metadata(metadata or {})
    situations = cleaned.pop("situations", [])
    spooled, sha256, size = _spool(fileobj, settings.MAX_UPLOAD_BYTES)
    with spooled:
        try:
            info = imaging.inspect_image(spooled, settings.MAX_IMAGE_PIXELS)
        except imaging.ImageRejected as exc:
            raise ServiceError(
                exc.code, exc.message, fields={"file": [exc.message]}, status_code=exc.status_code
            ) from exc
        existing = Photo.objects.filter(collection=collection, sha256=sha256).first()
        if existing is not None:
            raise DuplicatePhoto(existing)
        name = os.path.basename(str(filename or "").replace("\\", "/"))[:300]
        photo = Photo(
            collection=collection,
            original_name=name,
            sha256=sha256,
            byte_size=size,
            format=info.format,
            width=info.width,
            height=info.height,
            mode=info.mode,
            bit_depth=info.bit_depth,
            page_count=info.page_count,
            uploaded_by=user if user is not None and user.is_authenticated else None,
            **cleaned,
        )
        spooled.seek(0)
        stored_name = None
        try:
            with transaction.atomic():
                photo.original.save(name or sha256, File(spooled), save=False)
                stored_name = photo.original.name
                photo.save()
                if situations:
                    photo.situations.set(situations)
                jobs.enqueue("archive.services.make_derivatives", photo.pk)
        except BaseException as exc:
            if stored_name:
                photo.original.storage.delete(stored_name)
            if isinstance(exc, IntegrityError):
                existing = Photo.objects.filter(collection=collection, sha256=sha256).first()
                if existing is not None:
                    raise DuplicatePhoto(existing) from exc
            raise
    return photo


# ---------------------------------------------------------------------------------------------------------
# Photos: derivatives (a background job; idempotent)


DERIVATIVE_FIELDS = ("thumbnail", "web", "gray")
DERIVATIVE_SUFFIX = {"thumbnail": "thumb.jpg", "web": "web.jpg", "gray": "gray.png"}


def make_derivatives(photo_id: int) -> str:
    """Render thumbnail, web and 8-bit gray images of one photo. Safe to run twice or concurrently."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return "gone"
    storage = photo.original.storage
    if photo.derivatives_status == DerivativeStatus.READY and all(
        getattr(photo, name) and storage.exists(getattr(photo, name).name) for name in DERIVATIVE_FIELDS
    ):
        return "ready"
    try:
        with photo.original.open("rb") as original:
            rendered = imaging.render_derivatives(original, settings.MAX_IMAGE_PIXELS)
    except Exception as exc:  # a corrupt original must not loop forever: record it
        log.exception("derivatives of photo %s failed", photo_id)
        Photo.objects.filter(pk=photo_id).update(
            derivatives_status=DerivativeStatus.FAILED, derivatives_error=str(exc)[:2000]
        )
        return "failed"
    names = {}
    for key, content in rendered.items():
        field_file = getattr(photo, key)
        wanted = f"{photo.sha256}-{DERIVATIVE_SUFFIX[key]}"
        if field_file and storage.exists(field_file.name):
            storage.delete(field_file.name)
        field_file.save(wanted, ContentFile(content), save=False)
        names[key] = field_file.name
    updated = Photo.objects.filter(pk=photo_id).update(
        derivatives_status=DerivativeStatus.READY, derivatives_error="", **names
    )
    if not updated:  # the photo was deleted meanwhile: leave no orphan
        for name in names.values():
            storage.delete(name)
        return "gone"
    return "ready"


def delete_photo_files(photo: Photo) -> None:
    storage = photo.original.storage
    for name in ("original", *DERIVATIVE_FIELDS):
        field_file = getattr(photo, name)
        if field_file and field_file.name:
            storage.delete(field_file.name)


def on_photo_deleted(sender, instance: Photo, **kwargs) -> None:
    """A deleted photo (admin, collection deletion) takes its files with it, once the deletion commits."""
    transaction.on_commit(lambda: delete_photo_files(instance))


# ---------------------------------------------------------------------------------------------------------
# Batches: ZIP upload, CSV metadata


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
