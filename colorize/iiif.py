"""IIIF Presentation 3 manifests and W3C Web Annotations of hints.

- /iiif/photos/{id}/manifest.json: one Canvas; its painting annotation is a Choice between the original and the
  approved (published) restoration, clearly labelled as AI-colorized; without an approval, just the original.
- /iiif/collections/{id}/collection.json: a Collection of the photo manifests.
- /api/photos/{id}/annotations/: the hints as a W3C Web Annotation page (a colour as a tagging body,
  its evidence as a describing body, the place as a media-fragment or SVG selector): the live working hints for
  members, only the published version's verified hints (authors named only by choice) for everyone else.

Language maps tell the truth (docs/provenance.md): a title, description or note carries its recorded language
(archive/languages.py), other free text its detected one, values without a language (hashes, identifiers,
file names) `none`; the platform's own labels come in English and in every UI language they are translated into.
"""

from datetime import datetime

from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from accounts.models import Profile
from archive import languages
from archive.access import get_collection_for, get_photo_for
from archive.models import Collection, Photo
from colorize import iiif_image
from colorize.access import can_see_drafts
from colorize.services.provenance import DIGITAL_SOURCE_TYPE, FC_NS
from colorize.services.review import published_review
from config.api import ServiceError
from config.http_auth import token_or_session

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff"}


def _abs(request, url: str) -> str:
    return request.build_absolute_uri(url)


LABEL_LANGUAGES = ("en", "ko")  # the platform's own strings: English, and Korean where translated


def _text(value: str, language: str | None = None) -> dict:
    """A data value in its language: the recorded one, else detected; `none` when it has none."""
    return {languages.iiif_key(language if language is not None else languages.detect(value)): [value]}


def _none(value: str) -> dict:
    return {"none": [value]}


def _ui(message: str, **params) -> dict:
    """A platform string (marked with gettext_noop) in English and in each UI language that translates it."""
    out: dict[str, list[str]] = {}
    for code in LABEL_LANGUAGES:
        with translation.override(code):
            text = gettext(message)
        if code == "en" or text != message:
            out[code] = [text.format(**params) if params else text]
    return out


def photo_label(photo: Photo) -> dict:
    if photo.title:
        return _text(photo.title, languages.language_of(photo.title, photo.title_lang))
    if photo.original_name:
        return _none(photo.original_name)
    return _ui(gettext_noop("Photo {id}"), id=photo.pk)


def _metadata(photo: Photo) -> list[dict]:
    date = photo.date_display or (photo.date_from.isoformat() if photo.date_from else "")
    rows = [
        (gettext_noop("Title"), photo.title, languages.language_of(photo.title, photo.title_lang)),
        (gettext_noop("Creator"), photo.creator, None),
        (gettext_noop("Date"), date, None if photo.date_display else "none"),
        (gettext_noop("Place"), photo.place, None),
        (gettext_noop("Source"), photo.source, None),
        (gettext_noop("Identifier"), photo.identifier, "none"),
        (gettext_noop("Original SHA-256"), photo.sha256, "none"),
    ]
    out = [{"label": _ui(label), "value": _text(value, lang)} for label, value, lang in rows if value]
    situations = list(photo.situations.all())
    for label, terms in (
        (gettext_noop("Era"), [photo.era] if photo.era_id else []),
        (gettext_noop("Situations"), situations),
    ):
        if terms:
            out.insert(len(out) - 1, {"label": _ui(label), "value": _vocabulary(terms)})
    return out


def _vocabulary(terms) -> dict:
    """Vocabulary terms (eras, situations) in each language they are named in (name_ko, name_en)."""
    value: dict[str, list[str]] = {}
    for code in LABEL_LANGUAGES:
        names = [getattr(term, f"name_{code}", None) for term in terms]
        if all(names):
            value[code] = [", ".join(names)]
    return value or {"none": [", ".join(term.name for term in terms)]}


def manifest_url(request, photo_id: int) -> str:
    return _abs(request, reverse("iiif-photo-manifest", args=[photo_id]))


def photo_manifest(request, photo: Photo) -> dict:
    base = manifest_url(request, photo.pk)
    canvas_id = f"{base.rsplit('/', 1)[0]}/canvas/1"
    original = {
        "id": _abs(request, photo.original.url),
        "type": "Image",
        "format": MIME.get(photo.format, "image/jpeg"),
        "width": photo.width,
        "height": photo.height,
        "label": _ui(gettext_noop("Original (black and white, unaltered)")),
        "service": [iiif_image.service_reference(request, f"photo-{photo.pk}")],
    }
    review = published_review(photo)
    if review is not None:
        version = review.version
        restored = {
            "id": _abs(request, version.result.url),
            "type": "Image",
            "format": "image/png",
            "width": version.width,
            "height": version.height,
            "label": _ui(
                gettext_noop(
                    "AI-colorized restoration, version {number} ({model} {model_version}), approved by {reviewer}"
                ),
                number=version.number,
                model=version.model_name,
                model_version=version.model_version,
                reviewer=review.reviewer.username if review.reviewer_id else "?",
            ),
            "service": [iiif_image.service_reference(request, f"version-{version.pk}")],
        }
        body = {"type": "Choice", "items": [original, restored]}
    else:
        body = original
    manifest = {
        "@context": PRESENTATION_CONTEXT,
        "id": base,
        "type": "Manifest",
        "label": photo_label(photo),
        "metadata": _metadata(photo),
        "items": [
            {
                "id": canvas_id,
                "type": "Canvas",
                "width": photo.width,
                "height": photo.height,
                "items": [
                    {
                        "id": f"{canvas_id}/page/1",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas_id}/page/1/image",
                                "type": "Annotation",
                                "motivation": "painting",
                                "body": body,
                                "target": canvas_id,
                            }
                        ],
                    }
                ],
                "annotations": [
                    {
                        "id": _abs(request, reverse("photo-annotations", args=[photo.pk])),
                        "type": "AnnotationPage",
                    }
                ],
            }
        ],
        "partOf": [
            {
                "id": _abs(request, reverse("iiif-collection", args=[photo.collection_id])),
                "type": "Collection",
            }
        ],
    }
    if photo.description:
        manifest["summary"] = _text(
            photo.description, languages.language_of(photo.description, photo.description_lang)
        )
    if photo.rights:
        manifest["requiredStatement"] = {"label": _ui(gettext_noop("Rights")), "value": _text(photo.rights)}
        if photo.rights.startswith(("http://creativecommons.org/", "https://creativecommons.org/")):
            manifest["rights"] = photo.rights
    if photo.web:
        manifest["thumbnail"] = [
            {"id": _abs(request, photo.web.url), "type": "Image", "format": "image/jpeg"}
        ]
    if review is not None:
        version = review.version
        rendered_by = version.created_by.username if version.created_by_id else "?"
        manifest["metadata"].append(
            {"label": _ui(gettext_noop("Rendered by")), "value": _none(rendered_by)},
        )
        manifest["metadata"].append(
            {
                "label": _ui(gettext_noop("Approved by")),
                "value": _none(review.reviewer.username if review.reviewer_id else "?"),
            }
        )
        if review.comment:
            manifest["metadata"].append(
                {"label": _ui(gettext_noop("Reviewer's comment")), "value": _text(review.comment)}
            )
        manifest["seeAlso"] = [
            {
                "id": _abs(request, reverse("version-sidecar", args=[version.pk])),
                "type": "Dataset",
                "format": "application/json",
                "profile": FC_NS,
                "label": _ui(
                    gettext_noop("Provenance of the restoration (hints and their evidence, review)")
                ),
            }
        ]
        manifest["metadata"].append(
            {
                "label": _ui(gettext_noop("Colorization")),
                "value": _ui(
                    gettext_noop("AI-colorized ({source_type}); the original is unaltered"),
                    source_type=DIGITAL_SOURCE_TYPE,
                ),
            }
        )
    return manifest


def collection_manifest(request, collection: Collection) -> dict:
    photos = collection.photos.order_by("id")
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": _abs(request, reverse("iiif-collection", args=[collection.pk])),
        "type": "Collection",
        "label": _text(collection.title),
        "summary": _text(collection.description) if collection.description else None,
        "items": [
            {"id": manifest_url(request, p.pk), "type": "Manifest", "label": photo_label(p)} for p in photos
        ],
    }


def _selector(hint, photo: Photo) -> dict:
    W, H = photo.width, photo.height
    long = max(W, H)
    if hint.shape == "stroke" and hint.points:
        pts = " ".join(f"{px * W:.1f},{py * H:.1f}" for px, py in hint.polyline())
        width = max(hint.width * long, 1.0)
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg"><polyline points="{pts}" fill="none" '
            f'stroke="{hint.color}" stroke-width="{width:.1f}"/></svg>'
        )
        return {"type": "SvgSelector", "value": svg}
    r = max(hint.radius * long, 1.0)
    x, y = hint.x * W - r, hint.y * H - r
    return {
        "type": "FragmentSelector",
        "conformsTo": "http://www.w3.org/TR/media-frags/",
        "value": f"xywh={max(int(x), 0)},{max(int(y), 0)},{max(int(2 * r), 1)},{max(int(2 * r), 1)}",
    }


def published_hints(photo: Photo) -> list:
    """What readers who are not members may see: the verified hints of the published version's snapshot (as
    they were when it was rendered, with their evidence), each with its author's username only where that
    person chose to be named in public (accounts.Profile.named_publicly); nothing when nothing is published."""
    from colorize.models import Hint

    review = published_review(photo)
    if review is None:
        return []
    used = [h for h in review.version.hints if h.get("status") == "verified"]
    named = Profile.publicly_named(h.get("created_by") for h in used)
    fields = ("x", "y", "shape", "radius", "points", "width", "color", "status", "evidence_note")
    fields += ("evidence_note_lang", "evidence_source", "evidence_url")
    out = []
    for data in used:
        hint = Hint(pk=data.get("id"), photo=photo, **{f: data[f] for f in fields if data.get(f) is not None})
        for stamp in ("created_at", "updated_at"):
            setattr(hint, stamp, datetime.fromisoformat(data[stamp]) if data.get(stamp) else None)
        out.append((hint, data.get("created_by") if data.get("created_by") in named else None))
    return out


def hint_annotations(request, photo: Photo) -> dict:
    from colorize.models import Hint

    page_id = _abs(request, reverse("photo-annotations", args=[photo.pk]))
    canvas = f"{manifest_url(request, photo.pk).rsplit('/', 1)[0]}/canvas/1"
    items = []
    if can_see_drafts(request.user, photo.collection):  # members: the live working hints, named
        live = (
            Hint.objects.live()
            .filter(photo=photo)
            .exclude(shape="fence")
            .select_related("created_by", "verified_by")
        )
        hints = [(hint, hint.created_by.username if hint.created_by_id else None) for hint in live]
    else:
        hints = [(hint, creator) for hint, creator in published_hints(photo) if hint.shape != "fence"]
    for hint, creator in hints:
        body = [  # a colour code has no language; words do
            {"type": "TextualBody", "purpose": "tagging", "value": hint.color, "format": "text/plain"},
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "value": "verified" if hint.is_verified else "suggested",
                "language": "en",
            },
        ]
        if hint.evidence_note:
            body.append(
                {
                    "type": "TextualBody",
                    "purpose": "describing",
                    "value": hint.evidence_note,
                    "language": languages.language_of(hint.evidence_note, hint.evidence_note_lang),
                }
            )
        if hint.evidence_source:
            body.append(
                {
                    "type": "TextualBody",
                    "purpose": "commenting",
                    "value": hint.evidence_source,
                    "language": languages.detect(hint.evidence_source),
                }
            )
        if hint.evidence_url:
            body.append({"id": hint.evidence_url, "type": "Text", "purpose": "linking"})
        annotation = {
            "id": f"{page_id}#hint-{hint.pk}",
            "type": "Annotation",
            "motivation": "tagging",
            "created": hint.created_at.isoformat() if hint.created_at else None,
            "modified": hint.updated_at.isoformat() if hint.updated_at else None,
            "body": body,
            "target": {"source": canvas, "selector": _selector(hint, photo)},
        }
        if creator:
            annotation["creator"] = {"type": "Person", "nickname": creator}
        items.append(annotation)
    from colorize.services import repair  # the repair masks: what was invented (docs/repair.md)

    items += repair.iiif_annotations(photo, page_id, canvas, lambda url: _abs(request, url))
    return {
        "@context": [ANNO_CONTEXT, PRESENTATION_CONTEXT],
        "id": page_id,
        "type": "AnnotationPage",
        "items": items,
    }


# ---------------------------------------------------------------------------------------------------------
# Views (thin)


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _guard(fn):
    def view(request, *args, **kwargs):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404
        from rest_framework import exceptions

        from config.api import NotFound, error_body

        try:
            return fn(request, *args, **kwargs)
        except ServiceError as exc:
            return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        except Http404:
            return JsonResponse(NotFound.body(), status=404)
        except (PermissionDenied, exceptions.PermissionDenied):
            return JsonResponse(error_body("permission_denied", gettext("not allowed")), status=403)
        except exceptions.NotAuthenticated:
            return JsonResponse(error_body("not_authenticated", gettext("sign in to see this")), status=401)

    view.__name__ = fn.__name__
    return view


@token_or_session
@_guard
def manifest_view(request, photo_id: int):
    photo = get_photo_for(request.user, photo_id)
    return _json(photo_manifest(request, photo))


@token_or_session
@_guard
def collection_view(request, collection_id: int):
    collection = get_collection_for(request.user, collection_id)
    data = collection_manifest(request, collection)
    return _json({k: v for k, v in data.items() if v is not None})


@token_or_session
@_guard
def annotations_view(request, photo_id: int):
    photo = get_photo_for(request.user, photo_id)
    return _json(hint_annotations(request, photo))
