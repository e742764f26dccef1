"""Find damage (docs/repair.md): a background job through config.jobs, with the run lifecycle's claim,
progress and cancel; the found mask becomes the photo's draft mask (colorize/services/repair_masks.py)."""

import logging
import math
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive.access import check_role
from archive.models import Photo
from colorize.models import DamageScan, RunStatus
from colorize.models.runs import ACTIVE_STATUSES
from colorize.services import events, model
from colorize.services.repair import check_can_repair, conflict, scan_json
from colorize.services.repair_masks import locked_mask, mask_event, mask_png, new_base
from config import jobs

log = logging.getLogger(__name__)

SCAN_JOB = "colorize.services.repair_scan.execute_scan"


def _fail_lost_scans(photo: Photo) -> None:
    """Scans whose job was lost (queued, never claimed) or whose worker died (running, no heartbeat) for longer
    than RUN_STALE_SECONDS: failed, so they no longer block a new search. One conditional UPDATE each."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_STALE_SECONDS)  # the runs' staleness rule
    scans = DamageScan.objects.filter(photo=photo)
    scans.filter(status=RunStatus.QUEUED, created_at__lt=cutoff).update(
        status=RunStatus.FAILED, finished_at=now, error="the job was lost before a worker took it"
    )
    scans.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).update(
        status=RunStatus.FAILED, finished_at=now, claim="", error="the worker stopped during the search"
    )


def do_find_damage(user, photo: Photo) -> DamageScan:
    check_can_repair(user, photo)
    with transaction.atomic():
        Photo.objects.select_for_update().filter(pk=photo.pk).first()
        _fail_lost_scans(photo)
        if DamageScan.objects.active().filter(photo=photo).exists():
            raise conflict("scan_running", _("damage is already being searched for on this photo"))
        scan = DamageScan.objects.create(photo=photo, requested_by=user)
        events.broadcast(photo.pk, scan_event(scan))
    jobs.enqueue(SCAN_JOB, scan.pk)
    return scan


def do_cancel_scan(user, scan: DamageScan) -> DamageScan:
    check_role(user, scan.photo.collection, Role.CURATOR)
    changed = DamageScan.objects.filter(pk=scan.pk, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), error=f"cancelled by {user.username}"
    )
    scan.refresh_from_db()
    if not changed:
        raise conflict(
            "scan_finished", _("the search is already %(status)s") % {"status": RunStatus(scan.status).label}
        )
    events.send_safely(scan.photo_id, scan_event(scan))
    return scan


PROGRESS_SECONDS = 0.5  # a progress event at most this often...
PROGRESS_STEP = 5  # ...unless the progress moved on by this many percent since the last one


def scan_event(scan: DamageScan) -> dict:
    """The room event of a scan's state (queued, running with its progress, done, failed, cancelled)."""
    return {"type": "repair.scan", "scan": scan_json(scan)}


class _ScanReporter:
    """The detector's progress and cancel callbacks (throttled DB reads and writes). Progress is written to the
    scan (which refreshes its heartbeat) and pushed to the photo's room as a `repair.scan` event, at most every
    PROGRESS_SECONDS or every PROGRESS_STEP percent; the workspace follows the events and polls only while its
    socket is down."""

    clock = staticmethod(time.monotonic)  # tests drive the throttle with their own clock

    def __init__(self, scan: DamageScan, token: str):
        self.scan, self.scan_id, self.token = scan, scan.pk, token
        self.last_write = self.last_check = -math.inf
        self.last_percent = -1
        self.cancelled = False

    def progress(self, fraction: float) -> None:
        percent = min(99, int(max(0.0, min(1.0, float(fraction))) * 100))
        now = self.clock()
        if percent <= self.last_percent:
            return
        soon = now - self.last_write < PROGRESS_SECONDS
        if soon and percent < self.last_percent + PROGRESS_STEP and percent < 99:
            return
        self.last_write, self.last_percent = now, percent
        written = DamageScan.objects.filter(
            pk=self.scan_id, claim=self.token, status=RunStatus.RUNNING
        ).update(progress=percent, heartbeat_at=timezone.now())
        if written:  # not for a scan cancelled meanwhile: its event said so already
            self.scan.progress = percent
            events.send_safely(self.scan.photo_id, scan_event(self.scan))

    def cancel(self) -> bool:
        if self.cancelled:
            return True
        now = self.clock()
        if now - self.last_check < 0.25:
            return False
        self.last_check = now
        current = DamageScan.objects.filter(pk=self.scan_id).values_list("status", "claim").first()
        self.cancelled = current is None or current[0] != RunStatus.RUNNING or current[1] != self.token
        return self.cancelled


def execute_scan(scan_id: int) -> str:
    """The job: run the detector on the photo's working image; the found mask becomes its draft mask.
    Idempotent: only the delivery that claims the queued scan works on it."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = DamageScan.objects.filter(pk=scan_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, claim=token, started_at=now, heartbeat_at=now, progress=0
    )
    if not claimed:
        return DamageScan.objects.filter(pk=scan_id).values_list("status", flat=True).first() or "gone"
    scan = DamageScan.objects.select_related("photo", "requested_by").get(pk=scan_id)
    events.send_safely(scan.photo_id, scan_event(scan))  # running, at 0 %
    reporter = _ScanReporter(scan, token)
    try:
        import ml

        repairer = model.get_repairer()
        gray = model.load_gray(scan.photo)
        try:
            prob = repairer.detect(gray, progress=reporter.progress, cancel=reporter.cancel)
        except ml.Cancelled:
            return RunStatus.CANCELLED
        if reporter.cancel():
            return RunStatus.CANCELLED
        mask = repairer.mask_from_prob(prob)
        with transaction.atomic():
            done = DamageScan.objects.filter(pk=scan_id, claim=token, status=RunStatus.RUNNING).update(
                status=RunStatus.DONE,
                progress=100,
                finished_at=timezone.now(),
                pixels=int(mask.sum()),
                model_name=repairer.model_name,
                model_version=repairer.model_version,
                model_checksum=repairer.checksum,
            )
            if not done:
                return DamageScan.objects.filter(pk=scan_id).values_list("status", flat=True).first()
            scan.refresh_from_db()
            scan.mask.save(f"scan-{scan.pk}.png", ContentFile(mask_png(mask)), save=True)
            repair_mask = locked_mask(scan.photo)
            new_base(repair_mask, mask, "detector", scan.requested_by, scan=scan)
            events.broadcast(scan.photo_id, scan_event(scan))
            mask_event(repair_mask)
        return RunStatus.DONE
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the scan
        log.exception("damage scan %s failed", scan_id)
        failed = DamageScan.objects.filter(pk=scan_id, claim=token, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:5000]
        )
        if failed:  # the room hears it (its panels no longer poll)
            events.send_safely(scan.photo_id, scan_event(DamageScan.objects.get(pk=scan_id)))
        return RunStatus.FAILED
