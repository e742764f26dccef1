"""Requesting runs: check_* validates and authorizes, do_* stores queued runs and enqueues them after the
commit (the job is colorize.services.runs.execute.execute_run)."""

import logging
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive.access import check_role
from archive.models import Era, Photo, PhotoStatus, Situation
from colorize.models import HintsMode, ReferencePhoto, Run, RunStatus
from colorize.models.runs import ACTIVE_STATUSES
from colorize.serializers import run_json
from colorize.services import adaptation, model, references
from colorize.services.repair import active_base
from colorize.services.runs.common import JOB, broadcast
from config import jobs
from config.api import ServiceError, invalid

log = logging.getLogger(__name__)

OPTION_KEYS = {"max_side", "seed"}


def _clean_options(options) -> dict:
    if not isinstance(options, dict):
        raise invalid({"options": _("must be an object")})
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise invalid({"options": _("unknown option(s): %(names)s") % {"names": ", ".join(sorted(unknown))}})
    if "max_side" in options and options["max_side"] is not None:
        try:
            side = int(options["max_side"])
        except (TypeError, ValueError):
            raise invalid({"options": _("max_side must be an integer")}) from None
        if not 64 <= side <= 20000:
            raise invalid({"options": _("max_side must be between 64 and 20000")})
        options = {**options, "max_side": side}
    return options


def _clean_reference(reference_id, collection) -> ReferencePhoto | None:
    """A shared (era/situation) reference photo, or one of the run's own collection."""
    if reference_id in (None, ""):
        return None
    refs = ReferencePhoto.objects.filter(collection__isnull=True)
    if collection is not None:
        refs = ReferencePhoto.objects.filter(Q(collection__isnull=True) | Q(collection=collection))
    try:
        return refs.get(pk=int(reference_id))
    except (ValueError, TypeError, OverflowError, ReferencePhoto.DoesNotExist):
        raise invalid({"reference": _("no reference photo %(id)s") % {"id": repr(reference_id)}}) from None


def check_run_params(data, files=None, collection=None) -> dict:
    """Validate the parameters of a run request (for a photo of `collection`). Returns the cleaned fields of
    Run."""
    files = files or {}
    cleaned: dict = {}
    mode = data.get("hints", data.get("hints_mode", HintsMode.VERIFIED)) or HintsMode.VERIFIED
    if mode not in HintsMode.values:
        raise invalid({"hints": _("use one of %(values)s") % {"values": ", ".join(HintsMode.values)}})
    cleaned["hints_mode"] = mode
    for field, vocabulary in (("era", Era), ("situation", Situation)):
        value = data.get(field)
        if value in (None, ""):
            cleaned[field] = None
            continue
        obj = vocabulary.objects.filter(slug=str(value)).first()
        if obj is None:
            raise invalid(
                {
                    field: (_("unknown era %(slug)s") if field == "era" else _("unknown situation %(slug)s"))
                    % {"slug": repr(value)}
                }
            )
        cleaned[field] = obj
    # use_adaptation (use_profile: its old name, still accepted): false asks for a run without adaptation.
    use = data.get("use_adaptation", data.get("use_profile", True))
    if isinstance(use, str):
        use = use.strip().lower() not in ("0", "false", "no", "off")
    cleaned["use_profile"] = bool(use)
    cleaned["reference"] = _clean_reference(data.get("reference"), collection)
    upload = files.get("reference_image")
    if upload is not None:
        clean_image = references.clean_reference_image(upload, "reference_image")
        # Stored re-encoded, named from the detected format (never the client's name or extension).
        cleaned["reference_image"] = ContentFile(
            clean_image.content, name=f"reference{clean_image.extension}"
        )
    options = _clean_options(data.get("options") or {})
    cleaned["options"] = options
    return cleaned


def _queue(run_ids: list[int]) -> None:
    """Enqueue after the commit; a broker outage leaves the runs queued for the sweep, never lost (config.jobs)."""
    for run_id in run_ids:
        jobs.enqueue(JOB, run_id)


def _new_run(user, photo: Photo, cleaned: dict, batch=None) -> Run:
    upload = cleaned.pop("reference_image", None)
    run = Run(
        photo=photo,
        requested_by=user,
        batch=batch,
        parent_version=photo.versions.order_by("-number").first(),
        base=active_base(photo),  # the repaired base the run colours (None: the original)
        enqueued_at=timezone.now(),
        **cleaned,
    )
    if upload is None and run.reference is None and run.use_profile:
        # The adaptation that exists now (docs/adaptation.md): a rebuild under way is never waited for.
        run.adaptation = adaptation.pick_for_run(photo, model.context_of(photo, run.era, run.situation))
    if upload is not None:
        run.reference_image.save(upload.name or "reference", upload, save=False)
    run.save()
    if photo.status == PhotoStatus.UNRESTORED:
        Photo.objects.filter(pk=photo.pk, status=PhotoStatus.UNRESTORED).update(
            status=PhotoStatus.IN_PROGRESS
        )
    return run


def do_create_run(user, photo: Photo, data, files=None) -> Run:
    """Queue a full-resolution colorization of `photo` (curators and above; the photo's room hears of it)."""
    check_role(user, photo.collection, Role.CURATOR)
    cleaned = check_run_params(data, files, photo.collection)
    with transaction.atomic():
        run = _new_run(user, photo, cleaned)
        broadcast(photo.pk, {"type": "run.queued", "run": run_json(run)})
    _queue([run.pk])
    return run


def do_create_batch(user, collection, data) -> dict:
    """Queue runs for every photo of a collection (optionally only the unrestored ones).

    Photos that already have a queued or running run are skipped, so a repeated request queues nothing twice.
    """
    check_role(user, collection, Role.CURATOR)
    only_unrestored = data.get("only_unrestored", False)
    if isinstance(only_unrestored, str):
        only_unrestored = only_unrestored.strip().lower() in ("1", "true", "yes", "on")
    cleaned = check_run_params(data, collection=collection)
    photos = collection.photos.all().order_by("id")
    if only_unrestored:
        photos = photos.filter(status=PhotoStatus.UNRESTORED)
    batch = uuid.uuid4()
    created, skipped = [], []
    with transaction.atomic():
        busy = set(
            Run.objects.filter(photo__collection=collection, status__in=ACTIVE_STATUSES).values_list(
                "photo_id", flat=True
            )
        )
        for photo in photos:
            if photo.pk in busy:
                skipped.append(photo.pk)
                continue
            run = _new_run(user, photo, dict(cleaned), batch=batch)
            created.append(run.pk)
            broadcast(photo.pk, {"type": "run.queued", "run": run_json(run)})
    _queue(created)
    return {"batch": str(batch), "runs": created, "skipped_photos": skipped}


def do_cancel_run(user, run: Run) -> Run:
    check_role(user, run.photo.collection, Role.CURATOR)
    now = timezone.now()
    with transaction.atomic():
        changed = Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=RunStatus.CANCELLED, finished_at=now, error=f"cancelled by {user.username}"
        )
        run.refresh_from_db()
        if not changed:
            raise ServiceError(
                "run_finished",
                _("the run is already %(status)s") % {"status": RunStatus(run.status).label},
                status_code=409,
            )
        broadcast(run.photo_id, {"type": "run.cancelled", "run": run_json(run)})
    return run
