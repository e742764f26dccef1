"""Who may do what in a collection: the one access rule of the platform.

- `role_of(user, collection)`: the user's Role there, or None when they may not even know it exists.
- `check_role(user, collection, minimum)`: that role, or NotFound (outsiders: no existence leak),
  NotAuthenticated (anonymous, role too low) or PermissionDenied (signed in, role too low).
- `get_collection_for` / `get_photo_for(user, pk, minimum)`: load and check in one call. Unknown, malformed and
  hidden ids all raise the same NotFound, which renders the same body everywhere (see config/api.py), and a
  404 page on server-rendered pages (it is an Http404 too).

Views, consumers, services and pages all go through these; colorize/access.py adds runs, versions and hints.
"""

from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from accounts.models import Membership, Role
from archive.models import Collection, Photo, Visibility
from config.api import NotFound

__all__ = [
    "NotFound",
    "as_pk",
    "check_role",
    "get_collection_for",
    "get_photo_for",
    "role_of",
    "visible_collections",
    "visible_photos",
    "with_my_membership",
]


def as_pk(value) -> int:
    """A primary key from a URL or a frame; anything else is simply not found."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if pk < 1 or pk > 2**63 - 1:
        raise NotFound()
    return pk


def role_of(user, collection: Collection) -> Role | None:
    """The user's role in the collection; None means they may not know it exists.

    Owners (and superusers) are OWNER; members have their membership's role; anyone else is VIEWER of a
    public collection, signed-in users VIEWER of a members-visible one. Collections loaded with
    `with_my_membership` answer without a query.
    """
    if user is None or not user.is_authenticated:
        return Role.VIEWER if collection.visibility == Visibility.PUBLIC else None
    if user.is_superuser or collection.owner_id == user.pk:
        return Role.OWNER
    prefetched = getattr(collection, "my_memberships", None)
    if prefetched is not None:
        role = prefetched[0].role if prefetched else None
    else:
        role = collection.memberships.filter(user=user).values_list("role", flat=True).first()
    if role is not None:
        return Role(role)
    if collection.visibility in (Visibility.PUBLIC, Visibility.MEMBERS):
        return Role.VIEWER
    return None


def check_role(user, collection: Collection, minimum: Role = Role.VIEWER) -> Role:
    """The user's role, or raise: NotFound if they may not see the collection, 401/403 if it is too low."""
    role = role_of(user, collection)
    if role is None:
        raise NotFound()
    if role < minimum:
        if user is None or not user.is_authenticated:
            raise NotAuthenticated(_("sign in to do this"))
        raise PermissionDenied(
            _("this needs the %(needed)s role; you are %(role)s")
            % {"needed": Role(minimum).label, "role": role.label}
        )
    return role


def with_my_membership(queryset, user):
    """Prefetch the user's own membership of each collection, so role_of needs no query per collection."""
    if user is None or not user.is_authenticated:
        return queryset
    return queryset.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.filter(user=user), to_attr="my_memberships")
    )


def visible_collections(user):
    """Collections the user may read, with their photo count and the user's own membership prefetched."""
    queryset = Collection.objects.filter(pk__in=Collection.objects.visible_to(user).values("pk"))
    queryset = queryset.select_related("owner").annotate(photo_count=Count("photos")).order_by("title", "id")
    return with_my_membership(queryset, user)


def visible_photos(user):
    """Photos of collections the user may read, ready for serialization in a constant number of queries."""
    return (
        Photo.objects.filter(collection__in=Collection.objects.visible_to(user).values("pk"))
        .select_related("era", "uploaded_by")
        .prefetch_related("situations")
    )


def get_collection_for(user, pk, minimum: Role = Role.VIEWER) -> Collection:
    """The collection if the user has at least `minimum` there (NotFound when they may not know it exists)."""
    collection = Collection.objects.select_related("owner").filter(pk=as_pk(pk)).first()
    if collection is None:
        raise NotFound()
    check_role(user, collection, minimum)
    return collection


def get_photo_for(user, pk, minimum: Role = Role.VIEWER) -> Photo:
    """The photo if the user has at least `minimum` on its collection (NotFound for outsiders)."""
    photo = Photo.objects.select_related("collection__owner", "era").filter(pk=as_pk(pk)).first()
    if photo is None:
        raise NotFound()
    check_role(user, photo.collection, minimum)
    return photo
