"""Authorization in one place. Services call `check_role`; outsiders get 404 (no existence leak)."""

from django.http import Http404
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from accounts.models import Role


def role_of(user, collection) -> Role | None:
    return collection.role_of(user)


def check_role(user, collection, minimum: Role) -> Role:
    """Return the user's role, or raise: 404 if they may not see the collection, 403/401 if too low."""
    role = collection.role_of(user)
    if role is None:
        raise Http404("no such collection")
    if role < minimum:
        if user is None or not user.is_authenticated:
            raise NotAuthenticated("sign in to do this")
        raise PermissionDenied(f"this needs the {Role(minimum).label} role; you are {role.label}")
    return role
