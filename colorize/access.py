"""Loading runs, versions and hints for a user: archive/access.py's rule applied to colorize's things.

`get_<thing>_for(user, pk, minimum)` returns the thing if the user has at least `minimum` on its collection and
raises the one NotFound otherwise (unknown, malformed and hidden ids alike). Versions add one rule: people who
are not members of the collection see only its published (latest approved) version.
"""

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from accounts.models import Role
from archive.access import NotFound, as_pk, check_role
from archive.models import Collection, Photo
from colorize.models import Hint, Review, ReviewDecision, Run, Version


def latest_approvals(photo_ids):
    """The one rule "published = the latest approval": for each of the photos (ids, or a queryset of ids), the
    latest approval of any of its versions, as one query (photos with nothing published have none)."""
    return (
        Review.objects.filter(version__photo_id__in=photo_ids, decision=ReviewDecision.APPROVED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("version__photo_id"),
                order_by=(F("created_at").desc(), F("id").desc()),
            )
        )
        .filter(rank=1)
        .select_related("version__created_by", "reviewer")
    )


def published_versions(photo_ids) -> dict[int, Version]:
    """{photo id: its published version} for the photos that have one, in one query."""
    return {review.version.photo_id: review.version for review in latest_approvals(photo_ids)}


def published_review(photo) -> Review | None:
    """The latest approval of any version of the photo (None: nothing published)."""
    photo_id = photo.pk if isinstance(photo, Photo) else photo
    return latest_approvals([photo_id]).first()


def published_version(photo) -> Version | None:
    review = published_review(photo)
    return review.version if review is not None else None


def can_see_drafts(user, collection: Collection) -> bool:
    return collection.is_member(user)


def may_see_version(user, version: Version) -> bool:
    """The one rule for a version and its files (API and /media/ alike), for users who may read its
    collection: members see every version, readers only the published one."""
    if can_see_drafts(user, version.photo.collection):
        return True
    published = published_version(version.photo)
    return published is not None and published.pk == version.pk


def get_run_for(user, pk, minimum: Role = Role.VIEWER) -> Run:
    run = Run.objects.select_related("photo__collection__owner", "requested_by").filter(pk=as_pk(pk)).first()
    if run is None:
        raise NotFound()
    check_role(user, run.photo.collection, minimum)
    return run


def get_version_for(user, pk, minimum: Role = Role.VIEWER) -> Version:
    """The version if the user may see it (also NotFound for a draft a non-member may not see)."""
    version = (
        Version.objects.select_related("photo__collection__owner", "created_by", "run")
        .filter(pk=as_pk(pk))
        .first()
    )
    if version is None:
        raise NotFound()
    check_role(user, version.photo.collection, minimum)
    if not may_see_version(user, version):
        raise NotFound()
    return version


def get_hint_for(user, pk, minimum: Role = Role.VIEWER) -> Hint:
    hint = Hint.objects.select_related("photo__collection__owner").filter(pk=as_pk(pk)).first()
    if hint is None:
        raise NotFound()
    check_role(user, hint.photo.collection, minimum)
    return hint
