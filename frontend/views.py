"""Server-rendered pages. Views only read (through frontend.queries) and render; every write goes through the
REST API and the photo room from the pages' JavaScript modules."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import Profile, Role
from archive.models import Era, PhotoStatus, Situation, Visibility
from archive.serializers import PhotoSerializer
from archive.services import audit, vocabulary
from colorize.access import published_review
from frontend import queries
from frontend.templatetags.frontend_tags import role_name

PAGE_SIZE = 120
SORT_LABELS = {
    "newest": pgettext_lazy("sort order", "newest"),
    "oldest": pgettext_lazy("sort order", "oldest"),
    "title": pgettext_lazy("sort order", "title"),
    "date": pgettext_lazy("sort order", "date"),
    "status": pgettext_lazy("sort order", "status"),
    "relevance": pgettext_lazy("sort order", "best match"),
}


def role_flags(role: Role) -> dict:
    """What the reader's role lets them do on a page, computed once: the template's flags (snake_case); the
    page's JavaScript gets the same values through js_flags."""
    return {
        "can_edit": role >= Role.CURATOR,
        "can_review": role >= Role.REVIEWER,
        "is_owner": role >= Role.OWNER,
    }


def js_flags(flags: dict) -> dict:
    """role_flags as the pages' JavaScript config names them (canEdit, canReview, isOwner)."""
    return {"canEdit": flags["can_edit"], "canReview": flags["can_review"], "isOwner": flags["is_owner"]}


def sort_choices(query) -> list[tuple[str, str]]:
    """The sort menu: the default first under the value "" (best match when searching, else newest), then each
    other order once."""
    default = "relevance" if query.q else "newest"
    return [("", SORT_LABELS[default])] + [(k, SORT_LABELS[k]) for k in queries.SORTS if k != default]


def home(request):
    if not request.user.is_authenticated:
        # The public face: what Find Color is, the public collections and recently published restorations.
        published = queries.recently_published()
        named = Profile.publicly_named(r.reviewer.username for r in published if r.reviewer_id)
        for review in published:  # a reviewer is named in public only by their own choice
            review.public_reviewer = review.reviewer.username if review.reviewer_id else ""
            if review.public_reviewer not in named:
                review.public_reviewer = ""
        return render(
            request,
            "frontend/landing.html",
            {"collections": queries.collections_for(request.user), "published": published},
        )
    get_token(request)
    return render(
        request,
        "frontend/home.html",
        {
            "collections": queries.collections_for(request.user),
            "visibilities": Visibility.choices,
            "can_edit_vocabularies": vocabulary.can_edit_vocabularies(request.user),
            "named_publicly": Profile.objects.filter(user=request.user, named_publicly=True).exists(),
        },
    )


@login_required
def vocabularies(request):
    """Eras and situations: staff add and rename them (every collection shares them; others read)."""
    get_token(request)
    return render(
        request,
        "frontend/vocabularies.html",
        {
            "lists": [
                ("era", _("Eras"), Era.objects.all()),
                ("situation", _("Situations"), Situation.objects.all()),
            ],
            "can_edit": vocabulary.can_edit_vocabularies(request.user),
        },
    )


def collection(request, pk: int):
    collection, role = queries.collection_for(request.user, pk)
    flags = role_flags(role)
    query = queries.GridQuery.from_request(request)
    photos, facets = queries.photo_grid(collection, query)
    page = Paginator(photos, PAGE_SIZE).get_page(request.GET.get("page"))
    published = queries.published_previews(p.pk for p in page.object_list)
    for p in page.object_list:
        p.published_preview = published.get(p.pk, "")
    get_token(request)
    return render(
        request,
        "frontend/collection.html",
        {
            "collection": collection,
            "role": role,
            **flags,
            "photos": page.object_list,
            "page": page,
            "facets": facets,
            "query": query,
            "active_filters": sum(
                1 for value in (query.q, query.era, query.situation, query.status) if value
            ),
            "sorts": sort_choices(query),
            "eras": Era.objects.all(),
            "situations": Situation.objects.all(),
            "visibilities": Visibility.choices,
            "roles": [(r.label, role_name(r)) for r in Role if r < Role.OWNER],
            "config": {
                "collectionId": collection.pk,
                **js_flags(flags),
                "roles": [r.label for r in Role if r < Role.OWNER],
                "uploadUrl": f"/api/collections/{collection.pk}/photos/",
                "zipUploadUrl": f"/api/collections/{collection.pk}/photos/zip/",
            },
        },
    )


AUDIT_FAMILIES = {
    "collection": pgettext_lazy("audit", "collection settings"),
    "member": pgettext_lazy("audit", "members"),
    "photo": pgettext_lazy("audit", "photo metadata"),
    "photos": pgettext_lazy("audit", "batch metadata edits"),
}
AUDIT_ACTIONS = {
    "collection.create": pgettext_lazy("audit", "created the collection"),
    "collection.update": pgettext_lazy("audit", "changed the collection's settings"),
    "member.add": pgettext_lazy("audit", "added a member"),
    "member.role": pgettext_lazy("audit", "changed a member's role"),
    "member.remove": pgettext_lazy("audit", "removed a member"),
    "photo.metadata": pgettext_lazy("audit", "edited a photo's metadata"),
    "photos.batch_metadata": pgettext_lazy("audit", "edited several photos' metadata"),
}


@login_required
def audit_trail(request, pk: int):
    """A collection's audit trail for its owner: who changed what and when, filtered by kind and person (the
    same service as GET /api/collections/{id}/audit/)."""
    collection, role = queries.collection_for(request.user, pk)
    if role < Role.OWNER:
        raise PermissionDenied
    entries = audit.audit_entries(request.user, collection, request.GET)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.label = AUDIT_ACTIONS.get(entry.action, entry.action)
        entry.changes = [
            (name, entry.details["before"].get(name), value)
            for name, value in (entry.details.get("after") or {}).items()
            if isinstance(entry.details.get("before"), dict)
        ]
    return render(
        request,
        "frontend/audit.html",
        {
            "collection": collection,
            "page": page,
            "families": AUDIT_FAMILIES.items(),
            "action": request.GET.get("action", ""),
            "actor": request.GET.get("actor", ""),
        },
    )


def workspace(request, pk: int):
    photo, role = queries.photo_for(request.user, pk)
    flags = role_flags(role)
    get_token(request)
    user = request.user
    config = {
        "photo": PhotoSerializer(photo).data,  # the same JSON as GET /api/photos/{id}/
        "user": {"id": user.pk, "username": user.get_username()} if user.is_authenticated else None,
        "role": Role(role).label,
        **js_flags(flags),
        "wsPath": f"/ws/photos/{photo.pk}/",
        "live": user.is_authenticated and photo.collection.is_member(user),  # the room is for members
        "eras": [
            {"slug": e.slug, "name": e.name, "kind": e.kind, "parent": e.parent_id, "id": e.pk}
            for e in Era.objects.all()
        ],
        "situations": [{"slug": s.slug, "name": s.name} for s in Situation.objects.all()],
    }
    return render(
        request,
        "frontend/workspace.html",
        {
            "photo": photo,
            "role": role,
            **flags,
            "config": config,
            "eras": Era.objects.all(),
            "situations": Situation.objects.all(),
        },
    )


def published_photo(request, pk: int):
    """The public face of one restoration: the published version, labelled AI-colorized with its provenance,
    beside the original, with the photo's Dublin Core fields and rights. Not found while nothing is published."""
    photo, _role = queries.photo_for(request.user, pk)
    review = published_review(photo)
    if review is None:
        raise Http404
    version = review.version
    reviewer = review.reviewer.username if review.reviewer_id else ""
    verified = [h for h in version.hints if h.get("status") == "verified"]
    return render(
        request,
        "frontend/published_photo.html",
        {
            "photo": photo,
            "review": review,
            "version": version,
            # a name only where its owner chose to be named in public (accounts.Profile.named_publicly)
            "reviewer": reviewer if reviewer in Profile.publicly_named([reviewer]) else "",
            "verified_hints": len(verified),
            "with_evidence": sum(1 for h in verified if h.get("evidence_note") or h.get("evidence_source")),
            "fields": [
                (_("Date"), photo.date_display),
                (_("Place"), photo.place),
                (_("Photographer"), photo.creator),
                (_("Source"), photo.source),
                (_("Rights"), photo.rights),
            ],
        },
    )


@login_required
def review_queue(request):
    versions = queries.review_queue_for(request.user)
    get_token(request)
    return render(request, "frontend/review.html", {"versions": versions, "statuses": PhotoStatus})
