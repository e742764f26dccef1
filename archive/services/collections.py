"""Collections and their members: check_* validates and authorizes, do_* mutates."""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from archive.access import NotFound, check_role
from archive.models import Collection, Visibility
from archive.services.audit import record
from config.api import ServiceError, invalid, text_problem


def check_collection_data(data: Mapping, *, partial: bool) -> dict:
    cleaned = {}
    errors = {}
    if "title" in data or not partial:
        title = str(data.get("title") or "").strip()
        if not title:
            errors["title"] = _("a collection needs a title")
        elif problem := text_problem(title, 300):
            errors["title"] = problem
        cleaned["title"] = title
    if "description" in data:
        cleaned["description"] = str(data.get("description") or "")
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            errors["visibility"] = _("use one of %(values)s") % {"values": ", ".join(Visibility.values)}
        cleaned["visibility"] = data["visibility"]
    if errors:
        raise invalid(errors)
    return cleaned


def do_create_collection(user, data: Mapping) -> Collection:
    if user is None or not user.is_authenticated:
        raise ServiceError("not_authenticated", _("sign in to create a collection"), status_code=401)
    cleaned = check_collection_data(data, partial=False)
    with transaction.atomic():
        collection = Collection.objects.create(owner=user, **cleaned)
        record(user, "collection.create", collection, **cleaned)
    return collection


def do_update_collection(user, collection: Collection, data: Mapping) -> Collection:
    check_role(user, collection, Role.OWNER)
    cleaned = check_collection_data(data, partial=True)
    changed = {name: value for name, value in cleaned.items() if getattr(collection, name) != value}
    with transaction.atomic():
        for name, value in changed.items():
            setattr(collection, name, value)
        collection.save()
        if changed:
            record(user, "collection.update", collection, **changed)
    return collection


# ---------------------------------------------------------------------------------------------------------
# Members (owners manage them)


def check_role_name(name) -> Role:
    try:
        return Role.from_name(str(name))
    except ValueError as exc:
        roles = ", ".join(role.label for role in Role)
        raise invalid(
            {
                "role": _("unknown role %(name)s; use one of %(roles)s")
                % {"name": repr(str(name)), "roles": roles}
            }
        ) from exc


def check_member_target(collection: Collection, username):
    """The active user named `username`, or whose e-mail address it is (an address matching one user only)."""
    name = str(username or "").strip()
    users = get_user_model().objects.filter(is_active=True)
    user = users.filter(username=name).first()
    if user is None and "@" in name:
        by_email = list(users.filter(email__iexact=name)[:2])
        user = by_email[0] if len(by_email) == 1 else None
    if user is None:
        raise invalid(
            {"username": _("no active user with the name or e-mail address %(name)s") % {"name": repr(name)}}
        )
    if user.pk == collection.owner_id:
        raise ServiceError(
            "is_owner",
            _("%(user)s owns this collection already") % {"user": user.username},
            fields={"username": [_("the owner is not a member")]},
            status_code=409,
        )
    return user


def do_add_member(actor, collection: Collection, username, role_name) -> Membership:
    check_role(actor, collection, Role.OWNER)
    role = check_role_name(role_name)
    user = check_member_target(collection, username)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(collection=collection, user=user, role=role)
            record(actor, "member.add", collection, username=user.username, role=role.label)
            return membership
    except IntegrityError as exc:
        raise ServiceError(
            "already_member",
            _("%(user)s is already a member; change their role instead") % {"user": user.username},
            fields={"username": [_("already a member")]},
            status_code=409,
        ) from exc


def check_membership(actor, collection: Collection, username) -> Membership:
    check_role(actor, collection, Role.OWNER)
    membership = collection.memberships.select_related("user").filter(user__username=username).first()
    if membership is None:
        raise NotFound()
    return membership


def do_change_member_role(actor, collection: Collection, username, role_name) -> Membership:
    membership = check_membership(actor, collection, username)
    before = Role(membership.role)
    membership.role = check_role_name(role_name)
    with transaction.atomic():
        membership.save(update_fields=["role"])
        record(
            actor,
            "member.role",
            collection,
            username=username,
            before=before.label,
            role=Role(membership.role).label,
        )
    return membership


def do_remove_member(actor, collection: Collection, username) -> None:
    membership = check_membership(actor, collection, username)
    with transaction.atomic():
        record(actor, "member.remove", collection, username=username, role=Role(membership.role).label)
        membership.delete()
