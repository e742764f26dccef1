"""Who may see which collection and photo: the querysets and the check_* of the archive."""

from django.db.models import Count, Prefetch
from django.http import Http404

from accounts.models import Membership, Role
from accounts.permissions import check_role
from archive.models import Collection, Photo, Visibility


def visible_collections(user):
    """Collections the user may read, with their photo count and the user's own membership prefetched."""
    queryset = Collection.objects.filter(pk__in=Collection.objects.visible_to(user).values("pk"))
    queryset = queryset.select_related("owner").annotate(photo_count=Count("photos")).order_by("title", "id")
    if user is not None and user.is_authenticated:
        queryset = queryset.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(user=user), to_attr="my_memberships")
        )
    return queryset


def role_from_prefetch(collection, user) -> Role | None:
    """Collection.role_of without a query, for collections from visible_collections()."""
    if user is None or not user.is_authenticated:
        return Role.VIEWER if collection.visibility == Visibility.PUBLIC else None
    if user.is_superuser or collection.owner_id == user.pk:
        return Role.OWNER
    memberships = getattr(collection, "my_memberships", None)
    if memberships is None:
        return collection.role_of(user)
    if memberships:
        return Role(memberships[0].role)
    if collection.visibility in (Visibility.PUBLIC, Visibility.MEMBERS):
        return Role.VIEWER
    return None


def check_collection(user, collection_id, minimum: Role = Role.VIEWER) -> Collection:
    """The collection if the user has at least `minimum` there; 404 when they may not know it exists."""
    collection = Collection.objects.select_related("owner").filter(pk=collection_id).first()
    if collection is None:
        raise Http404("no such collection")
    check_role(user, collection, minimum)
    return collection


def visible_photos(user):
    """Photos of collections the user may read, ready for serialization in a constant number of queries."""
    return (
        Photo.objects.filter(collection__in=Collection.objects.visible_to(user).values("pk"))
        .select_related("era", "uploaded_by")
        .prefetch_related("situations")
    )


def check_photo(user, photo_id, minimum: Role = Role.VIEWER) -> Photo:
    """The photo if the user has at least `minimum` on its collection; 404 for outsiders."""
    photo = Photo.objects.select_related("collection", "era").filter(pk=photo_id).first()
    if photo is None:
        raise Http404("no such photo")
    check_role(user, photo.collection, minimum)
    return photo
