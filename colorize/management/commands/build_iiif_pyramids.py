"""manage.py build_iiif_pyramids [--collection ID]

Makes the IIIF pyramid of every original that has none yet (photos ingested before pyramids were made at ingest,
or whose pyramid could not be made then), so their first deep-zoom open does not wait for it. Optional: without it
each is made on its first image request (docs/interop.md). Safe to run again or while the server runs
(content-addressed files, written under a temporary name and renamed).
"""

from django.core.management.base import BaseCommand, CommandError

from archive.models import Collection, DerivativeStatus, Photo
from colorize.services import image_service


class Command(BaseCommand):
    help = "Make the IIIF pyramids that originals do not have yet."

    def add_arguments(self, parser):
        parser.add_argument("--collection", type=int, help="only the photos of this collection")

    def handle(self, *args, **options):
        photos = Photo.objects.filter(derivatives_status=DerivativeStatus.READY).order_by("pk")
        if options["collection"] is not None:
            if not Collection.objects.filter(pk=options["collection"]).exists():
                raise CommandError(f"no collection {options['collection']}")
            photos = photos.filter(collection_id=options["collection"])
        made = present = failed = 0
        for photo in photos.only("pk", "sha256", "original").iterator():
            if image_service.pyramid_path(photo.sha256).exists():
                present += 1
                continue
            try:
                image_service.build_pyramid(photo.original, photo.sha256)
            except image_service.SourceUnreadable as exc:
                failed += 1
                self.stderr.write(f"photo {photo.pk}: {exc}")
                continue
            made += 1
        self.stdout.write(f"{made} made, {present} already there, {failed} failed")
