"""IIIF Presentation 3 and 2.x manifests (docs/interop.md): loading one (JSON, IIIF_IMPORT_MAX_MANIFEST_BYTES, a
nesting depth of 64), its canvases and the largest image of each (the image service at full/max, else the
painting body), and the mapping of its labels and metadata to a photo's Dublin Core fields, with languages.
"""

import datetime
import json

from django.conf import settings
from django.utils.translation import gettext as _

from colorize.services.iiif_fetch import FetchError, fetch

MAX_DEPTH = 64
JSON_TYPES = ("application/json", "application/ld+json", "text/json", "text/plain")


def _depth_ok(value) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def load_manifest(url: str) -> dict:
    fetched = fetch(url, settings.IIIF_IMPORT_MAX_MANIFEST_BYTES, "application/ld+json, application/json")
    with fetched.file as f:
        data = f.read()
    if fetched.content_type not in JSON_TYPES:
        raise FetchError(
            "not_json", _("the manifest is not JSON (it is %(type)s)") % {"type": fetched.content_type or "?"}
        )
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise FetchError("not_json", _("the manifest is not valid JSON")) from None
    except RecursionError:
        raise FetchError("too_deep", _("the manifest is nested too deeply")) from None
    if not _depth_ok(manifest):
        raise FetchError("too_deep", _("the manifest is nested too deeply"))
    if not isinstance(manifest, dict):
        raise FetchError("not_manifest", _("the manifest is not a JSON object"))
    return manifest


def presentation_version(manifest: dict) -> int:
    context = manifest.get("@context")
    contexts = context if isinstance(context, list) else [context]
    texts = [c for c in contexts if isinstance(c, str)]
    kind = manifest.get("type") or manifest.get("@type")
    if any("presentation/3" in c for c in texts) and kind == "Manifest":
        return 3
    if any("presentation/2" in c for c in texts) and kind == "sc:Manifest":
        return 2
    raise FetchError("not_manifest", _("this is not a IIIF Presentation 3 or 2.x manifest"))


def _lang_value(value) -> tuple[str, str]:
    """(text, language) of a IIIF language map (v3) or a v2 value (string, {@value, @language}, or a list)."""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dict) and "@value" in value:
        return str(value.get("@value") or ""), str(value.get("@language") or "")
    if isinstance(value, list):
        items = [_lang_value(v) for v in value if isinstance(v, str | dict)]
        for preferred in ("ko", "en"):
            for text, lang in items:
                if lang.lower().startswith(preferred) and text:
                    return text, lang
        return items[0] if items else ("", "")
    if isinstance(value, dict):
        for key in ("ko", "en", *value.keys()):
            texts = value.get(key)
            if isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts):
                return "; ".join(texts), "" if key in ("none", "@none") else key
            if isinstance(texts, str):
                return texts, "" if key in ("none", "@none") else key
    return "", ""


def identifier_of(resource) -> str:
    if isinstance(resource, dict):
        value = resource.get("id") or resource.get("@id")
        return value if isinstance(value, str) else ""
    return resource if isinstance(resource, str) else ""


LABELS = {
    "creator": ("creator", "author", "photographer", "artist", "작가", "사진가", "촬영자", "제작자", "저자"),
    "date_display": ("date", "날짜", "일자", "촬영일", "연도", "date created"),
    "place": ("place", "location", "coverage", "장소", "위치", "지역"),
    "identifier": ("identifier", "call number", "식별자", "소장번호", "관리번호"),
    "rights": ("rights", "license", "권리", "저작권", "이용조건"),
}


def _title(manifest: dict, canvas: dict) -> tuple[str, str]:
    """(title, language): the canvas's own label, prefixed by the manifest's when in the same language; the
    manifest's label alone when the canvas has none or only a placeholder ("1", "image", "canvas")."""
    label, lang = _lang_value(canvas.get("label"))
    manifest_label, manifest_lang = _lang_value(manifest.get("label"))
    if not label or label.strip().lower() in ("", "1", "image", "canvas"):
        return manifest_label, manifest_lang
    if manifest_label and manifest_label != label and (not lang or lang == manifest_lang):
        return f"{manifest_label}: {label}", manifest_lang  # "부산항: p. 1"
    return label, lang


def _add_metadata_pairs(fields: dict, manifest: dict) -> None:
    """Fill the LABELS fields not yet in `fields` from the manifest's metadata label/value pairs."""
    pairs = manifest.get("metadata") if isinstance(manifest.get("metadata"), list) else []
    for pair in pairs[:200]:
        if not isinstance(pair, dict):
            continue
        name, _name_lang = _lang_value(pair.get("label"))
        value, _value_lang = _lang_value(pair.get("value"))
        if not name or not value:
            continue
        for field, names in LABELS.items():
            if name.strip().lower() in names and field not in fields:
                fields[field] = value[:300]


def _rights_text(manifest: dict, version: int) -> str:
    """The rights (v3) or license (v2) URI and the requiredStatement (v3) or attribution (v2), joined by " — "."""
    rights = manifest.get("rights") if version == 3 else manifest.get("license")
    if isinstance(rights, list):
        rights = rights[0] if rights else ""
    statement = manifest.get("requiredStatement") if version == 3 else manifest.get("attribution")
    statement_text = ""
    if isinstance(statement, dict) and "value" in statement:
        statement_text, _lang = _lang_value(statement.get("value"))
    elif statement is not None:
        statement_text, _lang = _lang_value(statement)
    return " — ".join(t for t in (rights if isinstance(rights, str) else "", statement_text) if t)


def metadata_fields(manifest: dict, canvas: dict, manifest_id: str, canvas_id: str, version: int) -> dict:
    """The Dublin Core fields of one canvas: the canvas's own label, else the manifest's; the manifest's
    summary/description, metadata pairs, rights, requiredStatement (attribution) and navDate."""
    fields: dict = {}
    label, lang = _title(manifest, canvas)
    if label:
        fields["title"], fields["title_lang"] = label[:500], lang
    summary, summary_lang = _lang_value(manifest.get("summary" if version == 3 else "description"))
    if summary:
        fields["description"], fields["description_lang"] = summary[:20000], summary_lang
    _add_metadata_pairs(fields, manifest)
    rights_text = _rights_text(manifest, version)
    if rights_text:
        fields["rights"] = rights_text[:500]
    nav = canvas.get("navDate") or manifest.get("navDate")
    if isinstance(nav, str) and _iso_day(nav[:10]):
        fields["date_from"] = fields["date_to"] = nav[:10]
        fields.setdefault("date_display", nav[:10])
    fields["source"] = source_of(manifest_id, canvas_id)
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _iso_day(text: str) -> bool:
    """A navDate's day, when it is one (a malformed navDate is left out, not an error of the canvas)."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def source_of(manifest_id: str, canvas_id: str) -> str:
    """dc:source of an imported photo: the manifest and canvas URIs (the canvas alone when both do not fit)."""
    both = f"{manifest_id} {canvas_id}"
    return both if len(both) <= 300 else canvas_id[:300]


def _service_image(service, version_hint: int) -> str:
    services = service if isinstance(service, list) else [service]
    for entry in services:
        if not isinstance(entry, dict):
            continue
        kind = str(entry.get("type") or entry.get("@type") or "")
        sid = identifier_of(entry)
        profile = entry.get("profile")
        profile_text = json.dumps(profile) if not isinstance(profile, str) else profile
        if not sid:
            continue
        if kind == "ImageService3" or "image/3" in str(entry.get("@context", "")):
            return f"{sid.rstrip('/')}/full/max/0/default.jpg"
        if (
            kind in ("ImageService2", "ImageService1")
            or "image/2" in str(entry.get("@context", ""))
            or ("iiif.io/api/image/2" in profile_text)
        ):
            return f"{sid.rstrip('/')}/full/full/0/default.jpg"
    return ""


def canvases(manifest: dict, version: int) -> list[dict]:
    """[{canvas id, the manifest entry, candidate image URLs (largest first), problem}] of each canvas."""
    if version == 3:
        items = manifest.get("items")
    else:
        sequences = manifest.get("sequences")
        first = sequences[0] if isinstance(sequences, list) and sequences else None
        items = first.get("canvases") if isinstance(first, dict) else None
    if not isinstance(items, list):
        raise FetchError("no_canvases", _("the manifest has no list of canvases"))
    if len(items) > settings.IIIF_IMPORT_MAX_CANVASES:
        raise FetchError(
            "too_many_canvases",
            _("the manifest has more than %(n)s canvases") % {"n": settings.IIIF_IMPORT_MAX_CANVASES},
        )
    out = []
    for index, canvas in enumerate(items):
        entry = {
            "index": index,
            "canvas": identifier_of(canvas) or f"#{index + 1}",
            "raw": canvas,
            "urls": [],
            "problem": "",
        }
        if not isinstance(canvas, dict):
            entry["problem"] = _("this canvas is not an object")
        else:
            try:
                entry["urls"] = _image_urls(canvas, version)
            except (TypeError, AttributeError, KeyError, IndexError):
                entry["urls"] = []
            if not entry["urls"]:
                entry["problem"] = _("this canvas paints no image")
        out.append(entry)
    return out


def _painted_bodies_v3(canvas: dict) -> list[dict]:
    """The bodies of a Presentation 3 canvas's painting annotations (a Choice's items, in order)."""
    bodies = []
    for page in canvas.get("items") or []:
        for annotation in (page.get("items") or []) if isinstance(page, dict) else []:
            if isinstance(annotation, dict) and annotation.get("motivation") in ("painting", None):
                bodies.extend(_annotation_bodies(annotation.get("body")))
    return bodies


def _annotation_bodies(body) -> list[dict]:
    """The resources of one v3 annotation body: a Choice's items, a list's objects, or the body itself."""
    if isinstance(body, dict) and body.get("type") == "Choice":
        return [b for b in body.get("items") or [] if isinstance(b, dict)]
    if isinstance(body, list):
        return [b for b in body if isinstance(b, dict)]
    if isinstance(body, dict):
        return [body]
    return []


def _painted_bodies_v2(canvas: dict) -> list[dict]:
    """The resources of a Presentation 2 canvas's images (an oa:Choice's default)."""
    bodies = []
    for image in canvas.get("images") or []:
        resource = image.get("resource") if isinstance(image, dict) else None
        if isinstance(resource, dict) and resource.get("@type") == "oa:Choice":
            default = resource.get("default")
            bodies.extend(b for b in [default] if isinstance(b, dict))
        elif isinstance(resource, dict):
            bodies.append(resource)
    return bodies


def _image_urls(canvas: dict, version: int) -> list[str]:
    bodies = _painted_bodies_v3(canvas) if version == 3 else _painted_bodies_v2(canvas)
    urls = []
    for body in bodies[:1]:  # the first painted image (a Choice's default)
        service = _service_image(body.get("service"), version)
        if service:
            urls.append(service)
        direct = identifier_of(body)
        if direct and direct not in urls:
            urls.append(direct)
    return [u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))]
