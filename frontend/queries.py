"""Read-only queries behind the server-rendered pages (collections list, photo grid, review queue).

Writes never happen here: the pages call the REST API (archive, hints, runs) from JavaScript, so the browser and
scripts go through the same service functions and permission checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from accounts.models import Role
from archive.access import get_collection_for, get_photo_for, role_of, with_my_membership
from archive.filters import era_condition
from archive.models import Collection, Era, Photo, PhotoStatus, Situation
from archive.services.search import search_photos
from colorize.access import latest_approvals, published_versions
from colorize.models import Review, ReviewDecision
from colorize.services.review import review_queue

MOSAIC_SIZE = 4
SORTS = {
    "newest": ("-created", "-id"),
    "oldest": ("created", "id"),
    "title": ("title", "id"),
    "date": (F("date_sort").asc(nulls_last=True), "id"),  # undated photos last
    "status": ("status", "-created"),
}


def collections_for(user) -> list[Collection]:
    """Visible collections with counts by status and up to four thumbnails each (three queries in all)."""
    status_counts = {
        f"n_{status.value}": Count("photos", filter=Q(photos__status=status.value), distinct=True)
        for status in PhotoStatus
    }
    collections = list(
        with_my_membership(Collection.objects.visible_to(user), user).annotate(
            n_photos=Count("photos", distinct=True), **status_counts
        )
    )
    ids = [c.pk for c in collections]
    mosaic: dict[int, list[Photo]] = {pk: [] for pk in ids}
    if ids:
        ranked = (
            Photo.objects.filter(collection_id__in=ids)
            .exclude(thumbnail="")
            .annotate(rank=Window(RowNumber(), partition_by=F("collection_id"), order_by=F("created").desc()))
            .filter(rank__lte=MOSAIC_SIZE)
            .only("id", "collection_id", "thumbnail", "title", "original_name")
        )
        for photo in ranked:
            mosaic[photo.collection_id].append(photo)
    for c in collections:
        c.mosaic = mosaic[c.pk]
        c.status_counts = [
            (status.label, getattr(c, f"n_{status.value}"))
            for status in PhotoStatus
            if getattr(c, f"n_{status.value}")
        ]
        c.my_role = role_of(user, c)
    return collections


def collection_for(user, pk: int) -> tuple[Collection, Role]:
    collection = get_collection_for(user, pk)
    return collection, role_of(user, collection)


def photo_for(user, pk: int) -> tuple[Photo, Role]:
    photo = get_photo_for(user, pk)
    return photo, role_of(user, photo.collection)


@dataclass
class GridQuery:
    q: str = ""
    era: str = ""
    situation: str = ""
    status: str = ""
    sort: str = "newest"
    sort_param: str = ""

    @classmethod
    def from_request(cls, request) -> GridQuery:
        get = request.GET
        q = get.get("q", "").strip()[:200]
        param = get.get("sort", "")
        if param not in SORTS:
            param = ""
        sort = param or ("relevance" if q else "newest")  # the default: best match when searching
        return cls(
            q=q,
            sort_param=param,
            era=get.get("era", ""),
            situation=get.get("situation", ""),
            status=get.get("status", ""),
            sort=sort,
        )


def _filtered(queryset, query: GridQuery, skip: str = ""):
    """The queryset with the facets applied, except `skip` (a facet's own counts ignore its own choice)."""
    if query.era and skip != "era":
        queryset = queryset.filter(era_condition(query.era))
    if query.situation and skip != "situation":
        queryset = queryset.filter(pk__in=Photo.objects.filter(situations__slug=query.situation).values("pk"))
    if query.status and skip != "status":
        queryset = queryset.filter(status=query.status)
    return queryset


def photo_grid(collection: Collection, query: GridQuery):
    """The photos of a collection filtered by the facets and search, with facet counts for the sidebar.

    Each facet counts the photos that the search and the OTHER facets leave, so every number offered is what
    a click on it shows.
    """
    base = Photo.objects.filter(collection=collection)
    if query.q:
        base = search_photos(base, query.q)
    photos = _filtered(base, query).select_related("era")
    if not (query.sort == "relevance" and query.q):
        photos = photos.order_by(*SORTS.get(query.sort, SORTS["newest"]))

    def counts(skip, field):
        rows = _filtered(base, query, skip).order_by().values(field).annotate(n=Count("id", distinct=True))
        return dict(rows.values_list(field, "n"))  # unordered: a search's rank must not join the GROUP BY

    era_counts = counts("era", "era__slug")
    situation_counts = counts("situation", "situations__slug")
    status_counts = counts("status", "status")
    facets = {
        "era": [(e.slug, e.name, era_counts.get(e.slug, 0)) for e in Era.objects.all()],
        "situation": [(s.slug, s.name, situation_counts.get(s.slug, 0)) for s in Situation.objects.all()],
        "status": [(s.value, s.label, status_counts.get(s.value, 0)) for s in PhotoStatus],
    }
    return photos, facets


def review_queue_for(user):
    """Versions awaiting review in the collections where the user is a reviewer or owner (not their own)."""
    versions = list(review_queue(user)[:200])
    submitted = _submissions([v.pk for v in versions])
    for v in versions:
        v.submission = submitted.get(v.pk)
    return versions


def _submissions(version_ids):
    out = {}
    rows = Review.objects.filter(
        version_id__in=version_ids, decision=ReviewDecision.SUBMITTED
    ).select_related("reviewer")
    for review in rows.order_by("created_at", "id"):
        out[review.version_id] = review  # the latest submission wins
    return out


def recently_published(limit: int = 8) -> list:
    """The latest published restorations in public collections: for each photo the approval that publishes
    its version (colorize.access.latest_approvals), newest first."""
    public = Photo.objects.filter(collection__visibility="public").values("pk")
    return list(
        latest_approvals(public)
        .select_related("version__photo__collection")
        .order_by("-created_at", "-id")[:limit]
    )


def published_previews(photo_ids) -> dict[int, str]:
    """For each photo with a published restoration: the URL of that version's preview."""
    published = published_versions(list(photo_ids))
    return {photo_id: version.preview.url for photo_id, version in published.items() if version.preview}
