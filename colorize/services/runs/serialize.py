"""The JSON form of a run (REST responses and room events)."""

from colorize.models import Run, RunStatus


def run_dict(run: Run) -> dict:
    version = getattr(run, "version", None) if run.status == RunStatus.DONE else None
    return {
        "id": run.pk,
        "photo": run.photo_id,
        "status": run.status,
        "progress": run.progress,
        "hints_mode": run.hints_mode,
        "era": run.era.slug if run.era_id else None,
        "situation": run.situation.slug if run.situation_id else None,
        "reference": run.reference_id,
        "reference_image": run.reference_image.url if run.reference_image else None,
        "use_profile": run.use_profile,
        "options": run.options,
        "parent_version": run.parent_version_id,
        "batch": str(run.batch) if run.batch else None,
        "error": run.error,
        "attempts": run.attempts,
        "requested_by": run.requested_by.username if run.requested_by_id else None,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "version": version.pk if version is not None else None,
        "version_number": version.number if version is not None else None,
    }
