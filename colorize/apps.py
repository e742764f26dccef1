import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)


def _on_worker_ready(**kwargs):
    """Celery: a starting worker re-enqueues runs whose worker died, and queued runs whose message is old
    enough to have been lost (a broker restart without persistence). The periodic sweep for runs orphaned by
    a dead worker is a beat job (settings.PERIODIC_JOBS). Duplicates are harmless (claims are atomic, versions
    unique per run)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import close_old_connections

    from colorize.services.runs.recovery import recover_runs

    try:
        ids = recover_runs(queued_older_than=timedelta(seconds=settings.RUN_STALE_SECONDS * 5))
        if ids:
            log.info("worker start: re-enqueued %d run(s): %s", len(ids), ids)
    except Exception:  # noqa: BLE001
        log.exception("worker start: could not recover runs")
    finally:
        close_old_connections()


class ColorizeConfig(AppConfig):
    name = "colorize"

    def ready(self):
        from celery.signals import worker_ready

        from colorize.services import preview, signing  # noqa: F401 (register the hint-changed hook for previews
        # and the C2PA configuration check)

        worker_ready.connect(_on_worker_ready, dispatch_uid="colorize.recover_runs")

        from archive.services.ingest import derivatives_rendering
        from colorize.services.image_service import on_derivatives_rendering

        # The IIIF pyramid of an original is one of its derivatives, made at ingest (docs/interop.md).
        derivatives_rendering.connect(on_derivatives_rendering, dispatch_uid="colorize.iiif_pyramid")

        from colorize.iiif_image import connect_access_invalidation

        connect_access_invalidation()

        from django.db.models.signals import post_delete

        from colorize.models import Adaptation, ReferencePhoto
        from config.storage import files_go_with_the_row

        # A colour reference or an adaptation deleted in any way (removed, or its collection deleted) takes its
        # file with it once the deletion commits.
        post_delete.connect(
            files_go_with_the_row("image"),
            sender=ReferencePhoto,
            weak=False,
            dispatch_uid="colorize.ref_files",
        )
        post_delete.connect(
            files_go_with_the_row("data"),
            sender=Adaptation,
            weak=False,
            dispatch_uid="colorize.adaptation_files",
        )
