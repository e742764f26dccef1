from django.apps import AppConfig


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
        from archive.services import on_photo_deleted

        post_delete.connect(on_photo_deleted, sender=Photo, dispatch_uid="archive.photo_files")
