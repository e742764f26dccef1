"""Adaptations (docs/adaptation.md): a scope's colour references and approved colours made into an
`ml.Adaptation` by a background job, gated on held-out references, and picked by runs when it passed.

Scopes: a collection (its own colour references, its approved restorations) and an era/situation key (the shared
references of that era/situation, the approved restorations of photos in it). An approved restoration counts
only through its VERIFIED hints: each verified colour weighted by its hint's area; the model's own colours are
never taken as ground truth.

The job (`rebuild_collection`, `rebuild_context`) is debounced: it builds nothing when the scope's inputs
(reference SHA-256s, verified colours, the model) are those of its newest finished adaptation, and at most one
row per scope is building at a time (the database refuses a second). When the inputs changed while it built, it
queues itself again. A run never waits for it: it takes the newest finished adaptation of its scope at request
time (`pick_for_run`), if that one passed its gate.
"""

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from archive.models import Collection, Era, Photo, Situation
from colorize.access import published_versions
from colorize.models import Adaptation, AdaptationStatus, ReferencePhoto
from colorize.models.adaptation import collection_scope, context_scope
from colorize.services import model
from config import jobs

log = logging.getLogger(__name__)

MIN_REFERENCES = 5  # ml.build_adaptation refuses fewer
MAX_REFERENCES = 200
REFERENCE_SIDE = 256  # the long side the references are read at (plenty for the adaptation)
MAX_APPROVED = 500  # approved restorations read per scope (newest first)
STALE_BUILD = timedelta(minutes=30)  # a row still "building" after this was abandoned by a dead worker
COLLECTION_JOB = "colorize.services.adaptation.rebuild_collection"
CONTEXT_JOB = "colorize.services.adaptation.rebuild_context"


@dataclass
class Scope:
    key: str
    collection: Collection | None = None
    era: Era | None = None
    situation: Situation | None = None

    @property
    def label(self) -> str:
        return self.key


@dataclass
class Inputs:
    references: list = field(default_factory=list)  # ReferencePhoto rows
    colours: list = field(default_factory=list)  # [("#rrggbb", weight)]
    model_checksum: str = ""

    def digest(self) -> str:
        body = {
            "references": sorted(r.sha256 or r.image.name for r in self.references),
            "colours": [[hex_, round(w, 8)] for hex_, w in self.colours],
            "model": self.model_checksum,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------------- inputs


def hint_area(hint: dict, width: int, height: int) -> float:
    """The share of the photo a verified hint covers (what ml.build_adaptation weighs a verified colour by: a
    hint over a tenth of the photo weighs 0.1 of a reference photo): a point's disc, a stroke's length times its
    width plus its round ends (radius and width are fractions of the long side)."""
    long_side = max(width, height, 1)
    sx, sy = max(width, 1) / long_side, max(height, 1) / long_side
    if hint.get("shape") == "stroke" and hint.get("points"):
        points = hint["points"]
        length = sum(
            math.hypot((x1 - x0) * sx, (y1 - y0) * sy)
            for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False)
        )
        w = float(hint.get("width") or 0.01)
        area = length * w + math.pi * (w / 2) ** 2
    else:
        r = float(hint.get("radius") or 0.01)
        area = math.pi * r * r
    return min(1.0, area / (sx * sy))


def verified_colours(versions) -> list[tuple[str, float]]:
    """The approved restorations' verified colours, each weighted by its hints' share of their photo (summed per
    colour)."""
    weights: dict[str, float] = {}
    for version in versions:
        for hint in version.hints:
            if hint.get("status") != "verified" or not hint.get("color"):
                continue
            colour = str(hint["color"]).lower()
            weights[colour] = weights.get(colour, 0.0) + hint_area(hint, version.width, version.height)
    return sorted((c, w) for c, w in weights.items() if w > 0)


def _published(photos) -> list:
    ids = list(photos.order_by("-id").values_list("pk", flat=True)[:MAX_APPROVED])
    return list(published_versions(ids).values())


def inputs_of(scope: Scope) -> Inputs:
    if scope.collection is not None:
        refs = ReferencePhoto.objects.filter(collection=scope.collection)
        photos = Photo.objects.filter(collection=scope.collection)
    else:
        refs = ReferencePhoto.objects.filter(collection__isnull=True)
        photos = Photo.objects.all()
        if scope.era is not None:
            refs, photos = refs.filter(era=scope.era), photos.filter(era=scope.era)
        if scope.situation is not None:
            refs = refs.filter(situation=scope.situation)
            photos = photos.filter(situations=scope.situation)
    return Inputs(
        references=list(refs.order_by("-created_at", "-id")[:MAX_REFERENCES]),
        colours=verified_colours(_published(photos)),
        model_checksum=str(getattr(model.get_colorizer(), "checksum", "")),
    )


def _small_rgb(field_file) -> np.ndarray:
    with field_file.open("rb") as handle, Image.open(handle) as image:
        image.draft("RGB", (REFERENCE_SIDE * 2, REFERENCE_SIDE * 2))
        image = image.convert("RGB")
        image.thumbnail((REFERENCE_SIDE, REFERENCE_SIDE))
        return np.asarray(image, dtype=np.uint8)


# ------------------------------------------------------------------------------------------- the job


def current(scope_key: str) -> Adaptation | None:
    """The newest finished (done) adaptation of a scope, passed or not."""
    return (
        Adaptation.objects.filter(scope=scope_key, status=AdaptationStatus.DONE)
        .order_by("-finished_at", "-id")
        .first()
    )


def _claim(scope: Scope, digest: str) -> Adaptation | None:
    """A new "building" row for the scope, or None when another job is building it (a stale one is failed
    and taken over)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return Adaptation.objects.create(
                    scope=scope.key,
                    collection=scope.collection,
                    era=scope.era,
                    situation=scope.situation,
                    status=AdaptationStatus.BUILDING,
                    inputs_digest=digest,
                    started_at=timezone.now(),
                )
        except IntegrityError:
            stale = timezone.now() - STALE_BUILD
            taken_over = Adaptation.objects.filter(
                scope=scope.key, status=AdaptationStatus.BUILDING, started_at__lt=stale
            ).update(
                status=AdaptationStatus.FAILED,
                error="abandoned (its worker stopped)",
                finished_at=timezone.now(),
            )
            if not taken_over:
                return None
    return None


def _build(row: Adaptation, inputs: Inputs) -> None:
    """Build into the claimed row: done (passed or not) or failed, never left building."""
    images = []
    for ref in inputs.references:
        try:
            images.append(_small_rgb(ref.image))
        except Exception as exc:  # noqa: BLE001 (a missing file must not block the others)
            log.warning("adaptation %s: skipping reference %s: %s", row.scope, ref.pk, exc)
    row.n_references, row.n_verified_colours = len(images), len(inputs.colours)
    row.model_checksum = inputs.model_checksum
    if len(images) < MIN_REFERENCES:
        row.gate = {
            "passed": False,
            "n_references": len(images),
            "n_heldout": 0,
            "reason": f"needs at least {MIN_REFERENCES} colour references, has {len(images)}",
        }
        row.passed, row.status = False, AdaptationStatus.DONE
        return
    try:
        built = model.build_adaptation(images, verified_colours=inputs.colours, name=row.scope)
    except Exception as exc:  # noqa: BLE001 (recorded on the row: the scope keeps its previous adaptation)
        log.exception("adaptation %s failed", row.scope)
        row.status, row.error = AdaptationStatus.FAILED, f"{type(exc).__name__}: {exc}"[:5000]
        return
    content = built.to_bytes()
    row.data.save(f"{row.pk}.fca", ContentFile(content), save=False)
    row.checksum = built.checksum
    row.gate = json.loads(json.dumps(built.gate, default=float))
    row.passed = bool(built.usable)
    row.status = AdaptationStatus.DONE


def rebuild(scope: Scope) -> str:
    """(Re)build one scope's adaptation. Returns what happened: "unchanged", "busy", "empty", "done",
    "failed"."""
    inputs = inputs_of(scope)
    digest = inputs.digest()
    latest = (
        Adaptation.objects.filter(scope=scope.key)
        .exclude(status=AdaptationStatus.BUILDING)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is not None and latest.inputs_digest == digest:
        return "unchanged"
    if latest is None and not inputs.references:
        return "empty"  # never had one, nothing to build from
    row = _claim(scope, digest)
    if row is None:
        return "busy"  # the job building it looks at the inputs again when it finishes
    try:
        _build(row, inputs)
    except Exception as exc:  # noqa: BLE001
        log.exception("adaptation %s failed", scope.key)
        row.status, row.error = AdaptationStatus.FAILED, f"{type(exc).__name__}: {exc}"[:5000]
    row.finished_at = timezone.now()
    row.save()
    if inputs_of(scope).digest() != digest:
        _enqueue(scope)  # the references or approvals changed while it built
    return row.status


def _enqueue(scope: Scope) -> None:
    if scope.collection is not None:
        jobs.enqueue(COLLECTION_JOB, scope.collection.pk)
    else:
        jobs.enqueue(
            CONTEXT_JOB, scope.era.pk if scope.era else 0, scope.situation.pk if scope.situation else 0
        )


def _scope_of(row: Adaptation) -> Scope:
    return Scope(row.scope, collection=row.collection, era=row.era, situation=row.situation)


def rebuild_stale() -> int:
    """Periodic job (settings.PERIODIC_JOBS): rebuild the scopes whose newest finished adaptation no longer
    matches its inputs, or whose build was abandoned by a dead worker. Inputs drift without a rebuild being
    queued when a new checkpoint is deployed (the model then ignores the old adaptation), and when an approved
    photo changes era or situation, or is deleted, or a version is withdrawn: rather than a hook on each of
    those, the digest of each scope's inputs is compared here. Returns how many rebuilds were queued (each is
    debounced as usual). (The digest includes the model's checksum, so a new checkpoint shows as drift too.)"""
    newest: dict[str, Adaptation] = {}
    rows = Adaptation.objects.filter(status=AdaptationStatus.DONE).select_related(
        "collection", "era", "situation"
    )
    for row in rows.order_by("scope", "-finished_at", "-id"):
        newest.setdefault(row.scope, row)
    stale = [row for row in newest.values() if inputs_of(_scope_of(row)).digest() != row.inputs_digest]
    abandoned = Adaptation.objects.filter(
        status=AdaptationStatus.BUILDING, started_at__lt=timezone.now() - STALE_BUILD
    ).select_related("collection", "era", "situation")
    scopes = {row.scope: row for row in [*stale, *abandoned]}
    for row in scopes.values():
        _enqueue(_scope_of(row))
    return len(scopes)


def collection_scope_of(collection: Collection) -> Scope:
    return Scope(collection_scope(collection.pk), collection=collection)


def context_scope_of(era: Era | None, situation: Situation | None) -> Scope:
    return Scope(
        context_scope(era.slug if era else None, situation.slug if situation else None),
        era=era,
        situation=situation,
    )


def rebuild_collection(collection_id: int) -> str:
    """Job: rebuild a collection's adaptation (idempotent)."""
    collection = Collection.objects.filter(pk=collection_id).first()
    return rebuild(collection_scope_of(collection)) if collection is not None else "gone"


def rebuild_context(era_id: int, situation_id: int) -> str:
    """Job: rebuild an era/situation adaptation (0: no era / no situation)."""
    era = Era.objects.filter(pk=era_id).first() if era_id else None
    situation = Situation.objects.filter(pk=situation_id).first() if situation_id else None
    if era is None and situation is None:
        return "gone"
    return rebuild(context_scope_of(era, situation))


def _context_pairs(era, situations) -> list[tuple]:
    pairs = [(era, None)] if era is not None else []
    for situation in situations:
        pairs.append((None, situation))
        if era is not None:
            pairs.append((era, situation))
    return pairs


def enqueue_for_photo(photo: Photo) -> None:
    """After a review decision on a photo's version: its collection's and its contexts' adaptations."""
    jobs.enqueue(COLLECTION_JOB, photo.collection_id)
    for era, situation in _context_pairs(photo.era, list(photo.situations.all())):
        _enqueue(context_scope_of(era, situation))


def enqueue_for_reference(ref: ReferencePhoto) -> None:
    if ref.collection_id:
        jobs.enqueue(COLLECTION_JOB, ref.collection_id)
        return
    for era, situation in _context_pairs(ref.era, [ref.situation] if ref.situation_id else []):
        _enqueue(context_scope_of(era, situation))


# ------------------------------------------------------------------------------------------- runs


def context_keys(era_slug: str | None, situation_slug: str | None) -> list[str]:
    """The era/situation scopes of a run's context, most specific first."""
    keys = []
    if era_slug and situation_slug:
        keys.append(context_scope(era_slug, situation_slug))
    if era_slug:
        keys.append(context_scope(era_slug, None))
    if situation_slug:
        keys.append(context_scope(None, situation_slug))
    return keys


def pick_for_run(photo: Photo, context: dict) -> Adaptation | None:
    """The adaptation a run requested now uses: its collection's, else its era/situation's (most specific
    first), each only when the scope's newest finished adaptation passed its gate. Never waits for a build."""
    for key in [
        collection_scope(photo.collection_id),
        *context_keys(context.get("era"), context.get("situation")),
    ]:
        found = current(key)
        if found is not None and found.usable:
            return found
    return None


_VERIFIED: dict[str, object] = {}  # checksum -> ml.Adaptation already verified (stored files never change)
_VERIFIED_MAX = 64


def for_previews(photo: Photo):
    """The ml.Adaptation a run of `photo` requested now would use, for live previews and colour suggestions, so
    they show what a run gives; None when there is none or its file is refused (logged)."""
    row = pick_for_run(photo, model.context_of(photo))
    if row is None:
        return None
    found = _VERIFIED.get(row.checksum)
    if found is None:
        import ml

        try:
            found = model.load_adaptation(row.data, row.checksum)
        except (ml.AdaptationError, OSError) as exc:
            log.warning("adaptation %s refused for previews: %s", row.pk, exc)
            return None
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[row.checksum] = found
    return found


# ------------------------------------------------------------------------------------------- what the page shows


def adaptation_json(adaptation: Adaptation | None) -> dict | None:
    if adaptation is None:
        return None
    gate = adaptation.gate or {}
    return {
        "id": adaptation.pk,
        "scope": adaptation.scope,
        "status": adaptation.status,
        "passed": adaptation.passed,
        "used": adaptation.usable,
        "checksum": adaptation.checksum,
        "model_checksum": adaptation.model_checksum,
        "n_references": adaptation.n_references,
        "n_verified_colours": adaptation.n_verified_colours,
        "n_heldout": gate.get("n_heldout"),
        "delta_db": gate.get("delta_db"),
        "lower_db": gate.get("lower_db"),
        "variant": gate.get("variant", "profile"),
        "psnr_without": gate.get("psnr_without"),
        "psnr_with": gate.get("psnr_with"),
        "reason": gate.get("reason", ""),
        "error": adaptation.error,
        "created_at": adaptation.created_at.isoformat(),
        "finished_at": adaptation.finished_at.isoformat() if adaptation.finished_at else None,
    }


def scope_status(collection: Collection) -> dict:
    """A collection's adaptation as its page shows it: the one runs use (if any), the newest attempt, and
    whether a rebuild is under way."""
    key = collection_scope(collection.pk)
    newest = Adaptation.objects.filter(scope=key).order_by("-created_at", "-id").first()
    finished = current(key)
    return {
        "scope": key,
        "references": ReferencePhoto.objects.filter(collection=collection).count(),
        "min_references": MIN_REFERENCES,
        "building": newest is not None and newest.status == AdaptationStatus.BUILDING,
        "current": adaptation_json(finished),
        "latest": adaptation_json(newest),
    }
