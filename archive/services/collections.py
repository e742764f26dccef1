"""Collections and their members: check_* validates and authorizes, do_* mutates."""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from accounts.models import Membership, Role
from archive.access import NotFound, check_role
from archive.models import Collection, Visibility
from archive.services.errors import invalid as _invalid
from config.api import ServiceError


def check_collection_data(data: Mapping, *, partial: bool) -> dict:
    cleaned = {}
    errors = {}
    if "title" in data or not partial:
        title = str(data.get("title") or "").strip()
        if not title:
            errors["title"] = "a collection needs a title"
        elif len(title) > 300:
            errors["title"] = "at most 300 characters"
        cleaned["title"] = title
    if "description" in data:
        cleaned["description"] = str(data.get("description") or "")
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            errors["visibility"] = f"use one of {', '.join(Visibility.values)}"
        cleaned["visibility"] = data["visibility"]
    if errors:
        raise _invalid(errors)
    return cleaned


def do_create_collection(user, data: Mapping) -> Collection:
    if user is None or not user.is_authenticated:
        raise ServiceError("not_authenticated", "sign in to create a collection", status_code=401)
    cleaned = check_collection_data(data, partial=False)
    return Collection.objects.create(owner=user, **cleaned)


def do_update_collection(user, collection: Collection, data: Mapping) -> Collection:
    check_role(user, collection, Role.OWNER)
    cleaned = check_collection_data(data, partial=True)
    for name, value in cleaned.items():
        setattr(collection, name, value)
    collection.save()
    return collection


# ---------------------------------------------------------------------------------------------------------
# Members (owners manage them)


def check_role_name(name) -> Role:
    try:
        return Role.from_name(str(name))
    except ValueError as exc:
        raise _invalid({"role": str(exc)}) from exc


def check_member_target(collection: Collection, username):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _invalid({"username": f"no active user named {username!r}"})
    if user.pk == collection.owner_id:
        raise ServiceError(
            "is_owner",
            f"{username} owns this collection already",
            fields={"username": ["the owner is not a member"]},
            status_code=409,
        )
    return user


def do_add_member(actor, collection: Collection, username, role_name) -> Membership:
    check_role(actor, collection, Role.OWNER)
    role = check_role_name(role_name)
    user = check_member_target(collection, username)
    try:
        with transaction.atomic():
            return Membership.objects.create(collection=collection, user=user, role=role)
    except IntegrityError as exc:
        raise ServiceError(
            "already_member",
            f"{username} is already a member; change their role instead",
            fields={"username": ["already a member"]},
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
    membership.role = check_role_name(role_name)
    membership.save(update_fields=["role"])
    return membership


def do_remove_member(actor, collection: Collection, username) -> None:
    check_membership(actor, collection, username).delete()
