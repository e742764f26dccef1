"""What the BagIt export and the IIIF import share: their job row (InteropJob), its JSON, and the access check
of its status URL (docs/interop.md)."""

from datetime import timedelta
from urllib.parse import urljoin

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts.models import Role
from archive.access import as_pk, check_role
from archive.models import JobStatus
from colorize.models import InteropJob, InteropKind
from config.api import NotFound

# Who may start and follow each kind of job: a BagIt bag holds every original and every version's provenance
# (drafts included), so owners and reviewers; an import adds photos, so curators and above, as uploads do.
MINIMUM_ROLE = {InteropKind.BAGIT_EXPORT: Role.REVIEWER, InteropKind.IIIF_IMPORT: Role.CURATOR}
STATUS_ROUTE = {InteropKind.BAGIT_EXPORT: "bagit-export", InteropKind.IIIF_IMPORT: "iiif-import"}


class LinkBase:
    """Stands in for the request when a job builds the absolute links of manifests and annotations; `user` is
    the person who asked for the job, so what the job writes is what that person may read."""

    def __init__(self, base_url: str, user=None):
        self.base_url = base_url
        self.user = user if user is not None else AnonymousUser()

    def build_absolute_uri(self, url: str = "/") -> str:
        return urljoin(self.base_url, url)


def check_job(user, pk, kind: str) -> InteropJob:
    job = InteropJob.objects.select_related("collection").filter(pk=as_pk(pk), kind=kind).first()
    if job is None:
        raise NotFound()
    check_role(user, job.collection, MINIMUM_ROLE[kind])
    return job


def counts(results: list[dict]) -> dict:
    out: dict[str, int] = {}
    for result in results:
        out[result["status"]] = out.get(result["status"], 0) + 1
    return out


def job_dict(request, job: InteropJob) -> dict:
    report = job.report or {}
    body = {
        "id": job.pk,
        "kind": job.kind,
        "collection": job.collection_id,
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "counts": report.get("counts") or {},
        "results": report.get("results") or [],
        "error": job.error,
        "created": job.created.isoformat(),
        "status_url": request.build_absolute_uri(reverse(STATUS_ROUTE[job.kind], args=[job.pk])),
    }
    if job.kind == InteropKind.IIIF_IMPORT:
        body["manifest"] = (job.params or {}).get("manifest", "")
    if job.kind == InteropKind.BAGIT_EXPORT:
        done = job.status == JobStatus.DONE and bool(job.file)
        body["download_url"] = (
            request.build_absolute_uri(reverse("bagit-export-download", args=[job.pk])) if done else None
        )
        body["byte_size"] = job.byte_size if done else None
    return body


JOB_PATHS = {
    InteropKind.BAGIT_EXPORT: "colorize.bagit_export.run_bagit_export",
    InteropKind.IIIF_IMPORT: "colorize.services.iiif_import.run_iiif_import",
}


def recover_interop_jobs(stale_after: timedelta | None = None) -> list[int]:
    """Periodic: re-enqueue the jobs whose worker was lost (archive.models.JobRows.requeue_silent). An import
    resumes (imported canvases are skipped); an export starts again from nothing."""
    return InteropJob.objects.requeue_silent(lambda job: JOB_PATHS[job.kind], stale_after)
