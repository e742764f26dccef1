"""Versions and their review: reading, comparing, restoring hints, submit / approve / reject (four eyes).

Members of a collection see every version of its photos; people who can only read the collection (public or
members-visible collections) see only published (approved) versions. Decisions are an append-only log; the
photo's published restoration is the version of its latest approval, so there is one per photo. Approving a
version while another one is published moves "published": that needs an explicit confirmation
(`confirm_replace` and a `reason`, 409 `confirm_replace` otherwise), and the approval records which version it
replaced and why (docs/provenance.md).
"""

import logging

from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from archive.access import check_role
from archive.models import Collection, Photo, PhotoStatus
from colorize.access import (
    can_see_drafts,
    get_version_for,
    published_review,
    published_version,
)
from colorize.models import Review, ReviewDecision, Version
from colorize.serializers import (
    EvidenceWarningSerializer,
    file_url,
    hint_json,
    review_json,
    run_json,
    version_json,
)
from colorize.services import adaptation
from colorize.services.events import broadcast
from colorize.services.hint_input import HINT_FIELDS
from config import jobs
from config.api import ServiceError, invalid, text_problem

log = logging.getLogger(__name__)

MAX_REVIEW_TEXT = 5000  # a comment or a reason, in characters


# ---------------------------------------------------------------------------------------------------------
# Reading


def runs_as_seen_by(user, photo: Photo, runs) -> list[dict]:
    """Runs of a photo as `user` may see them: readers who are not members see no draft version (a run's
    version or parent only when it is the published one) and not who requested it."""
    items = [run_json(run) for run in runs]
    if can_see_drafts(user, photo.collection):
        return items
    published = published_version(photo)
    published_id = published.pk if published is not None else None
    for item in items:
        item["requested_by"] = None
        if item["version"] != published_id:
            item["version"] = item["version_number"] = None
        if item["parent_version"] != published_id:
            item["parent_version"] = None
    return items


def versions_of(user, photo: Photo) -> list[Version]:
    versions = (
        Version.objects.filter(photo=photo)
        .select_related("created_by")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")))
        .order_by("-number")
    )
    if not can_see_drafts(user, photo.collection):
        published = published_version(photo)
        return [published] if published is not None else []
    return list(versions)


# ---------------------------------------------------------------------------------------------------------
# Compare


def _metric_diff(a: dict, b: dict) -> dict:
    out = {}
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and not isinstance(va, bool):
            out[key] = {"this": va, "other": vb, "delta": round(vb - va, 4)}
    return out


def _hint_diff(a: list, b: list) -> dict:
    ka = {(h["id"], h.get("revision")): h for h in a}
    kb = {(h["id"], h.get("revision")): h for h in b}
    ida, idb = {h["id"] for h in a}, {h["id"] for h in b}
    return {
        "only_this": sorted(ida - idb),
        "only_other": sorted(idb - ida),
        "changed": sorted({i for (i, _r) in set(ka) ^ set(kb)} & ida & idb),
    }


def compare(user, version: Version, other: str) -> dict:
    """Both images (URLs) and the differences of metrics and hints; `other` is a version id or 'original'."""
    reader = not can_see_drafts(user, version.photo.collection)
    this = version_json(version, reader=reader)
    if other == "original":
        photo = version.photo
        return {
            "this": this,
            "other": {
                "kind": "original",
                "photo": photo.pk,
                "image": file_url(photo.web) or file_url(photo.original),
                "original": file_url(photo.original),
                "sha256": photo.sha256,
                "width": photo.width,
                "height": photo.height,
            },
            "metrics": {},
            "hints": {"only_this": [h["id"] for h in version.hints], "only_other": [], "changed": []},
        }
    try:
        other_id = int(other)
    except (TypeError, ValueError):
        raise invalid(
            {"with": _("a version id or 'original'")}, message=_("with: a version id or 'original'")
        ) from None
    other_version = get_version_for(user, other_id)
    if other_version.photo_id != version.photo_id:
        raise invalid(
            {"with": _("another photo's version")}, message=_("with: versions of the same photo only")
        )
    that = version_json(other_version, reader=reader)
    that["kind"] = "version"
    this["image"], that["image"] = this["preview"], that["preview"]
    return {
        "this": this,
        "other": that,
        "metrics": _metric_diff(version.metrics, other_version.metrics),
        "hints": _hint_diff(version.hints, other_version.hints),
    }


# ---------------------------------------------------------------------------------------------------------
# Review decisions


def _state(version: Version) -> str:
    return version.review_state


def _state_name(state: str) -> str:
    """A review state in the reader's language (the machine value in English)."""
    names = {
        "draft": _("draft"),
        ReviewDecision.SUBMITTED: _("submitted"),
        ReviewDecision.APPROVED: _("approved"),
        ReviewDecision.REJECTED: _("rejected"),
    }
    return names.get(state, state)


def check_submit(user, version: Version) -> None:
    check_role(user, version.photo.collection, Role.CURATOR)
    state = _state(version)
    if state in (ReviewDecision.SUBMITTED, ReviewDecision.APPROVED):
        raise ServiceError(
            "invalid_state",
            _("the version is already %(state)s") % {"state": _state_name(state)},
            status_code=409,
        )


def check_decide(user, version: Version) -> None:
    check_role(user, version.photo.collection, Role.REVIEWER)
    if version.created_by_id is not None and version.created_by_id == user.pk:
        raise ServiceError(
            "four_eyes",
            _("you made this version; another reviewer must decide on it (four-eyes rule)"),
            status_code=403,
        )
    state = _state(version)
    if state != ReviewDecision.SUBMITTED:
        raise ServiceError(
            "invalid_state",
            _("only submitted versions can be decided (this one is %(state)s)")
            % {"state": _state_name(state)},
            status_code=409,
        )


def _photo_status_after(photo: Photo) -> str:
    if published_review(photo) is not None:
        return PhotoStatus.APPROVED
    pending = Review.objects.filter(version__photo=photo).values("version_id").distinct()
    latest = Review.objects.filter(version=OuterRef("version_id")).order_by("-created_at", "-id")
    states = (
        pending.annotate(state=Subquery(latest.values("decision")[:1]))
        .values_list("state", flat=True)
        .distinct()
    )
    if ReviewDecision.SUBMITTED in set(states):
        return PhotoStatus.IN_REVIEW
    return PhotoStatus.IN_PROGRESS


def check_replace(version: Version, replace: dict | None) -> Version | None:
    """The published version an approval of `version` would replace (None: nothing is replaced). Replacing
    needs `replace = {"confirm": True, "reason": "..."}`: 409 confirm_replace otherwise."""
    current = published_version(version.photo)
    if current is None or current.pk == version.pk:
        return None
    if not replace or not replace.get("confirm"):
        raise ServiceError(
            "confirm_replace",
            _(
                "version %(current)s is the published restoration of this photo; approving version %(number)s "
                "replaces it: confirm with confirm_replace=true and give a reason"
            )
            % {"current": current.number, "number": version.number},
            fields={"confirm_replace": [_("required to replace the published version %s") % current.number]},
            status_code=409,
        )
    if not replace.get("reason"):
        raise invalid(
            {"reason": _("required when replacing the published version")},
            message=_("reason: say why the published version is replaced"),
        )
    return current


def _decide(user, version: Version, decision: str, comment: str, replace: dict | None = None) -> Review:
    with transaction.atomic():
        Photo.objects.select_for_update().filter(pk=version.photo_id).first()
        replaced = None
        if decision == ReviewDecision.SUBMITTED:
            check_submit(user, version)
        else:
            check_decide(user, version)
            if decision == ReviewDecision.APPROVED:
                replaced = check_replace(version, replace)
        review = Review.objects.create(
            version=version,
            reviewer=user,
            decision=decision,
            comment=comment or "",
            created_at=timezone.now(),
            replaced_version=replaced,
            replace_reason=replace["reason"] if replaced is not None else "",
        )
        if replaced is not None:
            log.info(
                "photo %s: %s published version %s instead of %s: %s",
                version.photo_id,
                user,
                version.number,
                replaced.number,
                review.replace_reason,
            )
        status = _photo_status_after(version.photo)
        Photo.objects.filter(pk=version.photo_id).update(status=status)
        version.photo.status = status
        published = published_version(version.photo)
        broadcast(
            version.photo_id,
            {
                "type": f"version.{decision}",
                "version": version.pk,
                "number": version.number,
                "review": review_json(review),
                "photo_status": status,
                "published_version": published.pk if published else None,
            },
        )
        if decision in (ReviewDecision.APPROVED, ReviewDecision.REJECTED):
            # What is published changed: the adaptations that count its verified colours (docs/adaptation.md).
            adaptation.enqueue_for_photo(version.photo)
        if decision == ReviewDecision.APPROVED:
            # Its IIIF pyramid, before outside viewers ask for its tiles.
            jobs.enqueue("colorize.services.image_service.build_version_pyramid", version.pk)
    return review


def _body(data) -> dict:
    if data is None:
        return {}
    if not hasattr(data, "get"):
        raise invalid({"body": _("must be an object")}, message=_("the body must be a JSON object"))
    return data


def _text(data, name: str) -> str:
    """A text field of a review request (None or absent: empty), stripped; refused when not text or too long."""
    value = data.get(name, "")
    value = "" if value is None else value
    problem = text_problem(value, MAX_REVIEW_TEXT)
    if problem:
        raise invalid({name: problem})
    return value.strip()


def _comment(data) -> str:
    return _text(_body(data), "comment")


def do_submit(user, version: Version, data=None) -> Review:
    return _decide(user, version, ReviewDecision.SUBMITTED, _comment(data))


def _replace(data) -> dict:
    """confirm_replace (true/false; "true"/"1" from forms) and reason (text) of an approval request."""
    data = _body(data)
    confirm = data.get("confirm_replace", False)
    if isinstance(confirm, str):
        confirm = confirm.strip().lower() in ("1", "true", "yes", "on")
    if not isinstance(confirm, bool):
        raise invalid({"confirm_replace": _("true or false")}, message=_("confirm_replace: true or false"))
    return {"confirm": confirm, "reason": _text(data, "reason")}


def do_approve(user, version: Version, data=None) -> Review:
    """Approve (publish) a submitted version; replacing another published version needs confirm_replace and a
    reason (see check_replace)."""
    return _decide(user, version, ReviewDecision.APPROVED, _comment(data), _replace(data))


def do_reject(user, version: Version, data=None) -> Review:
    comment = _comment(data)
    if not comment:
        raise invalid({"comment": _("required")}, message=_("comment: say why the version is rejected"))
    return _decide(user, version, ReviewDecision.REJECTED, comment)


def review_queue(user):
    """Submitted versions the user may decide on: collections where they are reviewer or owner, not their own."""
    if user is None or not user.is_authenticated:
        return Version.objects.none()
    latest = Review.objects.filter(version=OuterRef("pk")).order_by("-created_at", "-id")
    versions = Version.objects.annotate(state=Subquery(latest.values("decision")[:1])).filter(
        state=ReviewDecision.SUBMITTED
    )
    if not user.is_superuser:
        from accounts.models import Membership

        reviewable = Membership.objects.filter(user=user, role__gte=Role.REVIEWER).values("collection_id")
        owned = Collection.objects.filter(owner=user).values("pk")
        versions = versions.filter(photo__collection__in=reviewable) | versions.filter(
            photo__collection__in=owned
        )
    return (
        versions.exclude(created_by=user)
        .select_related("photo__collection", "created_by", "run__era", "run__situation")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")))
        .order_by("photo__collection_id", "photo_id", "number")
    )


def evidence_warning(version: Version) -> dict | None:
    """What a reviewer must know about the evidence behind a version before approving it (None: nothing).

    codes: "no_verified_hint" (the version was rendered with no verified hint, so its metadata carries no
    evidence) and "verified_since_render" (hints of the photo were verified after the version was rendered: the
    version does not use that evidence). `rerender` is the run request that renders the photo again with the
    same settings and the current hints (POST it as JSON; curators and above)."""
    from colorize.models import Hint

    codes, messages = [], []
    if not any(h.get("status") == "verified" for h in version.hints):
        codes.append("no_verified_hint")
        messages.append(
            _("This version was rendered with no verified hint: its metadata carries no evidence.")
        )
    since = list(
        Hint.objects.live()
        .filter(photo_id=version.photo_id, status="verified", verified_at__gt=version.created_at)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if since:
        codes.append("verified_since_render")
        messages.append(
            _("%(n)s hint(s) were verified after this version was rendered; it does not use that evidence.")
            % {"n": len(since)}
        )
    if not codes:
        return None
    run = version.run
    body = {
        "hints": version.hints_mode,
        "era": run.era.slug if run.era_id else None,
        "situation": run.situation.slug if run.situation_id else None,
        "use_adaptation": run.use_profile,
        "reference": run.reference_id,
        "options": run.options or {},
    }
    return dict(
        EvidenceWarningSerializer(
            {
                "codes": codes,
                "message": " ".join(messages),
                "hints_verified_since": since,
                "rerender": {"method": "POST", "url": f"/api/photos/{version.photo_id}/runs/", "body": body},
            }
        ).data
    )


def queue_item(version: Version) -> dict:
    submissions = [r for r in version.reviews.all() if r.decision == ReviewDecision.SUBMITTED]
    submitted = max(submissions, key=lambda r: (r.created_at, r.pk), default=None)
    data = version_json(version)
    data["collection"] = {"id": version.photo.collection_id, "title": version.photo.collection.title}
    data["photo_title"] = str(version.photo)
    data["submitted_by"] = submitted.reviewer.username if submitted and submitted.reviewer_id else None
    data["submitted_at"] = submitted.created_at.isoformat() if submitted else None
    data["submit_comment"] = submitted.comment if submitted else ""
    data["evidence_warning"] = evidence_warning(version)
    return data


# ---------------------------------------------------------------------------------------------------------
# Restore hints from a version


def _hint_data(entry: dict) -> dict:
    """The editable hint fields of a version's hint snapshot entry."""
    return {key: entry[key] for key in sorted(HINT_FIELDS) if key in entry}


def _changes(hint, data: dict) -> dict:
    """The fields of `data` that differ from the live hint."""
    current = hint_json(hint)
    out = {}
    for key, value in data.items():
        now = current.get(key)
        if key == "points":
            now = [list(p) for p in (now or [])]
            value = [list(p) for p in (value or [])]
        if now != value:
            out[key] = data[key]
    if "points" in out or out.get("shape") in ("stroke", "fence"):
        out.setdefault("shape", data.get("shape"))
        out.setdefault("points", data.get("points"))
    return out


def do_restore_hints(user, version: Version) -> dict:
    """Re-apply the version's hint snapshot as new revisions of the live hints (nothing is overwritten:
    every change appends to the hint event log, and deleted hints come back as new hints).

    Verification is a person's act on a colour and place: a restored change of colour or place comes back as a
    suggestion (the hint rules), and a deleted hint comes back as a new suggested hint."""
    from colorize.models import Hint
    from colorize.services import hints as hint_services

    check_role(user, version.photo.collection, Role.CURATOR)
    photo = version.photo
    added, updated, unchanged = [], [], []
    with transaction.atomic():
        live = {h.pk: h for h in Hint.objects.live().filter(photo=photo)}
        for entry in version.hints:
            data = _hint_data(entry)
            hint = live.get(entry.get("id"))
            if hint is None:
                change = hint_services.do_add_hint(user, photo, data)
                added.append(change.hint["id"])
                continue
            diff = _changes(hint, data)
            if not diff:
                unchanged.append(hint.pk)
                continue
            hint_services.do_update_hint(user, hint, diff, expected_revision=hint.revision)
            updated.append(hint.pk)
    in_version = {entry.get("id") for entry in version.hints}
    kept = sorted(pk for pk in live if pk not in in_version)  # newer hints are left alone, not deleted
    return {"version": version.pk, "added": added, "updated": updated, "unchanged": unchanged, "kept": kept}
