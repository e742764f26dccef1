import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)


def recover_batches() -> None:
    """Re-enqueue background ZIP batches whose job was lost (docs/uploads.md)."""
    from django.db import close_old_connections

    from archive.services.zipimport import recover_upload_batches

    try:
        close_old_connections()
        ids = recover_upload_batches()
        if ids:
            log.info("re-enqueued %d upload batch(es): %s", len(ids), ids)
    except Exception:  # noqa: BLE001 (e.g. the database is not migrated yet)
        log.exception("could not recover upload batches")
    finally:
        close_old_connections()


def _on_worker_ready(**kwargs):
    recover_batches()


class ArchiveConfig(AppConfig):
    name = "archive"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # Pillow refuses images over 2x its own limit (89 MP by default) as decompression bombs. Our own,
        # configurable check (settings.MAX_IMAGE_PIXELS, read from the header before decoding) is the
        # authority, so Pillow's limit must not be lower than it.
        if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < settings.MAX_IMAGE_PIXELS:
            Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS

        from django.db.models.signals import post_delete

        from archive.models import Photo
        from archive.services.ingest import on_photo_deleted

        post_delete.connect(on_photo_deleted, sender=Photo, weak=False, dispatch_uid="archive.photo_files")

        # Lost batches are re-enqueued when a Celery worker starts, and by the periodic jobs
        # (settings.PERIODIC_JOBS: Celery beat, or the embedded server's timer, config/periodic.py).
        from celery.signals import worker_ready

        worker_ready.connect(_on_worker_ready, dispatch_uid="archive.recover_batches")
