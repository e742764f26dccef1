"""Batch import of a folder of scans: `import_photos DIR --collection ID [--metadata file.csv] [--user NAME]`.

Every file goes through the same ingestion as an upload (archive.services.do_ingest_photo). One bad file
never stops the rest; the command prints a per-file report and exits non-zero if any file failed.
"""

import os
import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.models import Collection
from archive.services.ingest import check_upload
from archive.services.photos import METADATA_FIELDS
from archive.services.zipimport import (
    BatchReport,
    ingest_one,
    iter_directory,
    metadata_for,
    read_metadata_csv,
)
from config import jobs
from config.api import ServiceError


class Command(BaseCommand):
    help = "Import every image under DIR into a collection, with optional CSV metadata."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--collection", type=int, required=True, help="collection id")
        parser.add_argument(
            "--metadata",
            help="CSV with a 'filename' column (relative path or base name) and any of: "
            + ", ".join(METADATA_FIELDS)
            + " (situations separated by ',' or ';')",
        )
        parser.add_argument("--user", help="the uploading user (default: the collection's owner)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def _target(self, collection: int, user: str | None):
        """The collection and the uploading user (default: its owner); CommandError when either is unknown."""
        target = Collection.objects.select_related("owner").filter(pk=collection).first()
        if target is None:
            raise CommandError(f"no collection with id {collection}")
        if not user:
            return target, target.owner
        uploader = get_user_model().objects.filter(username=user).first()
        if uploader is None:
            raise CommandError(f"no user named {user!r}")
        return target, uploader

    def _metadata(self, metadata: str) -> dict:
        """The CSV's rows by file name; CommandError when it cannot be read."""
        try:
            with open(metadata, "rb") as handle:
                # UTF-8 (with or without BOM), UTF-16 with BOM or CP949/EUC-KR (Korean Excel).
                rows, metadata_encoding = read_metadata_csv(handle.read(), os.path.basename(metadata))
        except OSError as exc:
            raise CommandError(f"cannot read {metadata}: {exc}") from exc
        except ServiceError as exc:
            raise CommandError(f"{metadata}: {exc.message}") from exc
        self.stdout.write(f"metadata: {metadata} read as {metadata_encoding}")
        return rows

    def handle(self, directory, collection, metadata, user, no_progress, **options):
        if not os.path.isdir(directory):
            raise CommandError(f"{directory} is not a directory")
        target, uploader = self._target(collection, user)
        rows = self._metadata(metadata) if metadata else {}
        csv_path = os.path.abspath(metadata) if metadata else None
        try:
            check_upload(uploader, target)
        except Exception as exc:
            raise CommandError(f"{uploader} may not upload to collection {target.pk} ({exc})") from exc

        paths = [
            p for p in iter_directory(directory) if os.path.abspath(os.path.join(directory, p)) != csv_path
        ]
        # Names as a person reads them (NFC: macOS folders store decomposed Hangul), paths as the disk has them.
        names = {p: unicodedata.normalize("NFC", p) for p in paths}
        unmatched = set(rows) - set(names.values()) - {os.path.basename(n) for n in names.values()}
        results = []
        for relative in tqdm(
            paths, desc="importing", unit="file", disable=no_progress, file=self.stderr._out
        ):
            name = names[relative]
            with open(os.path.join(directory, relative), "rb") as handle:
                results.append(ingest_one(uploader, target, handle, name, metadata_for(rows, name)))
        jobs.wait_idle(timeout=3600)

        report = BatchReport(results)
        for result in results:
            detail = {
                "ok": f"photo {result.photo_id}",
                "duplicate": f"already photo {result.photo_id}",
            }.get(result.status, f"{result.code}: {result.message}")
            line = f"{result.status:<9} {result.name}  {detail}"
            style = {"ok": self.style.SUCCESS, "duplicate": self.style.WARNING}.get(
                result.status, self.style.ERROR
            )
            self.stdout.write(style(line))
        for name in sorted(unmatched):
            self.stdout.write(self.style.WARNING(f"metadata row for {name} matched no file"))
        counts = report.counts()
        self.stdout.write(
            f"{len(results)} files: {counts['ok']} imported, {counts['duplicate']} duplicates, "
            f"{counts['error']} errors"
        )
        if counts["error"]:
            raise CommandError(f"{counts['error']} file(s) could not be imported (see the report above)")
