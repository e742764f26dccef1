"""A collection as one BagIt 1.0 bag in a ZIP (docs/interop.md): POST answers 202 and a status URL, a
background job writes the payload to a temporary folder file by file, bagit-python makes the bag (SHA-256 and
SHA-512 manifests, bag-info.txt), the folder is zipped into a temporary file and stored; nothing close to the
collection is ever held in memory (one photo's restoration at most, while it is encoded with its XMP).

Payload (data/):
- originals/photo{id}-{sha256}{ext}: each original, byte for byte (checked against its recorded SHA-256);
- restorations/photo{id}-v{n}-ai-colorized.png: the published restoration with its XMP (and C2PA when signing
  is configured), as colorize/services/export.py makes it;
- provenance/photo{id}-v{n}.json: the provenance of every version (drafts included, marked as such);
- annotations/photo{id}-hints.json: the hints and their evidence as W3C Web Annotations;
- iiif/collection.json and iiif/photo{id}.json: the IIIF Presentation 3 manifests;
- metadata/dublin_core.csv and dublin_core.json: the Dublin Core fields of every photo.
"""

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.access import check_role
from archive.models import Collection, JobStatus
from colorize import iiif
from colorize.access import published_version
from colorize.models import InteropJob, InteropKind, Version
from colorize.services.export import export_image
from colorize.services.interop import MINIMUM_ROLE, LinkBase, counts
from colorize.services.provenance import dublin_core, provenance
from config import jobs
from config.api import ServiceError

DC_COLUMNS = [
    "photo_id",
    "file",
    "original_name",
    "sha256",
    "title",
    "title_lang",
    "description",
    "description_lang",
    "creator",
    "date",
    "date_iso",
    "coverage",
    "source",
    "rights",
    "identifier",
    "subject",
    "restoration",
]
HEARTBEAT_SECONDS = 30  # a long step (hashing, zipping) still tells the recovery sweep it is alive
STORED = (".jpg", ".jpeg", ".png", ".tif", ".tiff")  # already compressed (or big): not deflated again


def check_bagit_export(user, collection: Collection) -> None:
    check_role(user, collection, MINIMUM_ROLE[InteropKind.BAGIT_EXPORT])


def do_request_bagit_export(user, collection: Collection, base_url: str) -> InteropJob:
    check_bagit_export(user, collection)
    with transaction.atomic():
        job = InteropJob.objects.create(
            collection=collection,
            kind=InteropKind.BAGIT_EXPORT,
            requested_by=user,
            params={"base_url": base_url},
            total=collection.photos.count(),
            report={"counts": {}, "results": []},
        )
        jobs.enqueue("colorize.bagit_export.run_bagit_export", job.pk)
    return job


def _copy(field_file, target: Path) -> str:
    """Stream a stored file to `target`; its SHA-256."""
    digest = hashlib.sha256()
    with field_file.open("rb") as src, open(target, "wb") as out:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1, default=str)


def _photo(folder: Path, request, photo) -> dict:
    """Write one photo's files; its Dublin Core row."""
    original = f"originals/photo{photo.pk}-{photo.sha256}{photo.extension}"
    if _copy(photo.original, folder / original) != photo.sha256:
        raise ServiceError(
            "original_changed", _("the original's bytes no longer match its recorded SHA-256; export refused")
        )
    for version in Version.objects.filter(photo=photo).select_related("photo__collection", "created_by"):
        _write_json(folder / f"provenance/photo{photo.pk}-v{version.number}.json", provenance(version))
    restoration = ""
    published = published_version(photo)
    if published is not None:
        content, _mime, _name, _prov = export_image(published, "png")
        restoration = f"restorations/photo{photo.pk}-v{published.number}-ai-colorized.png"
        (folder / restoration).write_bytes(content)
        del content
    _write_json(folder / f"annotations/photo{photo.pk}-hints.json", iiif.hint_annotations(request, photo))
    _write_json(folder / f"iiif/photo{photo.pk}.json", iiif.photo_manifest(request, photo))
    dc = dublin_core(photo)
    return {
        "photo_id": photo.pk,
        "file": f"data/{original}",
        "original_name": photo.original_name,
        "sha256": photo.sha256,
        **{key: value for key, value in dc.items()},
        "restoration": f"data/{restoration}" if restoration else "",
    }


def _make_bag(job_id: int, bag: Path, info: dict) -> None:
    """bagit-python in a child process (colorize/services/bagit_make.py), the job's heartbeat kept meanwhile."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "colorize.services.bagit_make", str(bag), json.dumps(info)],
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        deadline = time.monotonic() + settings.BAGIT_MAKE_TIMEOUT
        while True:
            try:
                child.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                InteropJob.objects.beat(job_id)
                if time.monotonic() > deadline:
                    child.kill()
                    child.wait()
                    raise
        if child.returncode:
            errors.seek(0)
            raise subprocess.CalledProcessError(child.returncode, "bagit_make", stderr=errors.read()[-4000:])


def _zip(job_id: int, bag: Path, target: Path, root: str) -> None:
    last = time.monotonic()
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for path in sorted(bag.rglob("*")):
            if time.monotonic() - last > HEARTBEAT_SECONDS:
                InteropJob.objects.beat(job_id)
                last = time.monotonic()
            if path.is_file():
                stored = path.suffix.lower() in STORED
                archive.write(
                    path,
                    f"{root}/{path.relative_to(bag).as_posix()}",
                    compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
                )


def _record(job_id: int, results: list[dict]) -> None:
    InteropJob.objects.filter(pk=job_id).update(  # also the job's heartbeat
        processed=len(results),
        report={"counts": counts(results), "results": results},
        updated=timezone.now(),
    )


def _bag_info(collection: Collection, job: InteropJob) -> dict:
    return {
        "Source-Organization": settings.BAGIT_SOURCE_ORGANIZATION,
        "External-Description": f"Find Color collection {collection.pk}: {collection.title}",
        "External-Identifier": f"findcolor:collection:{collection.pk}",
        "Bag-Group-Identifier": f"findcolor:collection:{collection.pk}",
        "Internal-Sender-Identifier": f"findcolor:bagit-export:{job.pk}",
        "Contact-Name": job.requested_by.username if job.requested_by_id else "",
        "Bagging-Date": timezone.localdate().isoformat(),
    }


def run_bagit_export(job_id: int) -> str:
    """Job: write the bag, zip it, store it. A retried job starts again from nothing (nothing is kept)."""
    job = InteropJob.objects.select_related("collection", "requested_by").start(job_id)
    if job is None:
        return "gone or ended"
    collection = job.collection
    request = LinkBase(job.params.get("base_url") or "http://localhost/", job.requested_by)
    results: list[dict] = []
    try:
        if job.requested_by is None:
            raise ServiceError(
                "not_allowed", _("the person who asked for this export is gone"), status_code=403
            )
        check_bagit_export(job.requested_by, collection)
        with tempfile.TemporaryDirectory(prefix="findcolor-bag-") as tmp:
            bag = Path(tmp) / "bag"
            for sub in ("originals", "restorations", "provenance", "annotations", "iiif", "metadata"):
                (bag / sub).mkdir(parents=True)
            rows = []
            photos = collection.photos.order_by("id").select_related("era", "collection")
            for photo in photos.prefetch_related("situations").iterator(chunk_size=100):
                rows.append(_photo(bag, request, photo))
                results.append({"photo_id": photo.pk, "name": rows[-1]["file"], "status": "ok"})
                _record(job_id, results)
            _write_json(bag / "iiif/collection.json", iiif.collection_manifest(request, collection))
            _write_json(bag / "metadata/dublin_core.json", rows)
            with open(bag / "metadata/dublin_core.csv", "w", encoding="utf-8-sig", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=DC_COLUMNS)
                writer.writeheader()
                for row in rows:
                    writer.writerow(
                        {
                            k: "; ".join(v) if isinstance(v, list) else v
                            for k, v in row.items()
                            if k in DC_COLUMNS
                        }
                    )
            _make_bag(job_id, bag, _bag_info(collection, job))
            zipped = Path(tmp) / "bag.zip"
            _zip(job_id, bag, zipped, f"findcolor-collection-{collection.pk}")
            shutil.rmtree(bag)
            size = os.path.getsize(zipped)
            with open(zipped, "rb") as f:
                job.file.save(f"collection-{collection.pk}-bag.zip", File(f), save=False)
        InteropJob.objects.filter(pk=job_id).update(
            status=JobStatus.DONE, file=job.file.name, byte_size=size, updated=timezone.now()
        )
        return "done"
    except (ServiceError, OSError, subprocess.SubprocessError) as exc:
        message = getattr(exc, "message", None) or (getattr(exc, "stderr", b"") or b"").decode(
            errors="replace"
        )
        message = str(message or exc or exc.__class__.__name__)
        InteropJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, error=message[-2000:])
        return "failed"
