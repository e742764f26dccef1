"""Hint input: what a client may send for a hint, cleaned the same way for REST bodies and socket frames.

`clean_hint_data` checks every field (geometry, colour, evidence) and raises one config.api.invalid() that
names all the problems; `clean_request_id` and `clean_revision` check the idempotency key and the revision a
write names. The services in colorize/services/hints.py call them before they lock anything.
"""

import math
from urllib.parse import urlparse

from django.utils.translation import gettext as _

from archive import languages
from colorize.models.hints import (
    MAX_NOTE,
    MAX_RADIUS,
    MAX_REQUEST_ID,
    MAX_SOURCE,
    MAX_STROKE_POINTS,
    MAX_URL,
    MAX_WIDTH,
    HintReach,
    HintShape,
)
from config.api import invalid, text_problem
from ml.colorspace import is_hex_color

HINT_FIELDS = {
    "x",
    "y",
    "shape",
    "radius",
    "points",
    "width",
    "color",
    "evidence_note",
    "evidence_note_lang",
    "evidence_source",
    "evidence_url",
    "reach",
}
EVIDENCE_FIELDS = {"evidence_note", "evidence_note_lang", "evidence_source", "evidence_url"}
# reach changes what the colour covers: like a move, it returns a verified hint to "suggested"
GEOMETRY_FIELDS = {"x", "y", "shape", "radius", "points", "width", "color", "reach"}
LINE_SHAPES = (HintShape.STROKE, HintShape.FENCE)  # shapes drawn as a polyline


def _number(data: dict, key: str, errors: dict, lo: float, hi: float, lo_open: bool = False):
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[key] = [_("must be a number")]
        return None
    if value < lo or value > hi or (lo_open and value <= lo):
        errors[key] = [_("must be in %(interval)s") % {"interval": f"{'(' if lo_open else '['}{lo}, {hi}]"}]
        return None
    return float(value)


def _text(data: dict, key: str, errors: dict, max_length: int):
    value = data[key]
    if value is None:
        return ""
    problem = text_problem(value, max_length)
    if problem:
        errors[key] = [problem]
        return None
    return value.strip()


def _color(color, errors: dict):
    if not is_hex_color(color):
        errors["color"] = [_('must be an sRGB hex colour like "#b22222"')]
        return None
    return color.lower()


def _is_point(point) -> bool:
    return (
        isinstance(point, list | tuple)
        and len(point) == 2
        and not any(
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in point
        )
    )


def _points(points, errors: dict):
    """A stroke's polyline as [[x, y], ...] (None: invalid, the reason is in errors)."""
    if points is None:
        return []
    if not isinstance(points, list) or len(points) > MAX_STROKE_POINTS:
        errors["points"] = [_("must be a list of at most %(max)s [x, y] pairs") % {"max": MAX_STROKE_POINTS}]
        return None
    if not all(_is_point(point) for point in points):
        errors["points"] = [_("each point must be [x, y] with numbers")]
        return None
    if not all(0.0 <= v <= 1.0 for point in points for v in point):
        errors["points"] = [_("point coordinates must be in [0, 1]")]
        return None
    return [[float(x), float(y)] for x, y in points]


def _url(data: dict, errors: dict):
    url = _text(data, "evidence_url", errors, MAX_URL)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors["evidence_url"] = [_("must be an http(s) URL")]
            return None
    return url


def _check_shape(data: dict, clean: dict, errors: dict, partial: bool) -> None:
    """A new hint names what its shape needs; a stroke has at least 2 points."""
    if not partial:
        shape = clean.get("shape") or ("stroke" if clean.get("points") else "point")
        clean["shape"] = shape
        required = ([] if shape == HintShape.FENCE else ["color"]) + (
            ["points"] if shape in LINE_SHAPES else ["x", "y"]
        )
        for key in required:
            if key not in data and key not in errors:
                errors[key] = [_("this field is required")]
    if clean.get("shape") in LINE_SHAPES or ("points" in clean and clean.get("shape") != "point"):
        if "points" in clean and clean["points"] is not None and len(clean["points"]) < 2:
            if "points" not in errors:
                errors["points"] = [_("a stroke needs at least 2 points")]


def clean_reach(data: dict, clean: dict, errors: dict) -> None:
    """Hint reach and fences (issue 23): `reach` is one of HintReach (default "wide", the model's own reach);
    a fence (shape "fence") is a line like a stroke with no colour of its own."""
    if "reach" in data:
        if data["reach"] not in HintReach.values:
            errors["reach"] = [_("must be one of %(values)s") % {"values": ", ".join(HintReach.values)}]
        else:
            clean["reach"] = data["reach"]
    if clean.get("shape") == HintShape.FENCE:
        clean.pop("color", None)


def clean_hint_data(data, *, partial: bool) -> dict:
    """Validate hint fields (the same for REST bodies and socket frames). Raises config.api.invalid().

    A point needs x, y, color (radius defaults to 0.01). A stroke needs `points` (the whole polyline, >= 2
    points) and color; its x, y become the first point.
    """
    if not isinstance(data, dict):
        raise invalid({"hint": _("must be an object")}, message=_("hint must be a JSON object"))
    errors: dict[str, list[str]] = {key: [_("unknown field")] for key in sorted(set(data) - HINT_FIELDS)}
    clean = {**_clean_geometry(data, errors), **_clean_evidence(data, errors)}
    clean_reach(data, clean, errors)
    _check_shape(data, clean, errors, partial)
    if errors:
        raise invalid(dict(sorted(errors.items())))
    return {key: value for key, value in clean.items() if value is not None}


def _clean_geometry(data: dict, errors: dict) -> dict:
    """Where the hint is and what colour: x, y, radius, width, color, shape, points (None: refused, see errors)."""
    clean: dict = {}
    for key in ("x", "y"):
        if key in data:
            clean[key] = _number(data, key, errors, 0.0, 1.0)
    if "radius" in data:
        clean["radius"] = _number(data, "radius", errors, 0.0, MAX_RADIUS, lo_open=True)
    if "width" in data:
        clean["width"] = _number(data, "width", errors, 0.0, MAX_WIDTH, lo_open=True)
    if "color" in data:
        clean["color"] = _color(data["color"], errors)
    if "shape" in data:
        if data["shape"] not in HintShape.values:
            errors["shape"] = [_("must be one of %(values)s") % {"values": ", ".join(HintShape.values)}]
        else:
            clean["shape"] = data["shape"]
    if "points" in data:
        clean["points"] = _points(data["points"], errors)
    return clean


def _clean_evidence(data: dict, errors: dict) -> dict:
    """Why the colour is right: the note (and its language), the source, the URL (None: refused, see errors)."""
    clean: dict = {}
    if "evidence_note" in data:
        clean["evidence_note"] = _text(data, "evidence_note", errors, MAX_NOTE)
    if data.get("evidence_note_lang") not in (None, ""):
        tag = languages.normalize_tag(data["evidence_note_lang"])
        if tag is None:
            errors["evidence_note_lang"] = [_("not a language tag (e.g. ko, en, und)")]
        clean["evidence_note_lang"] = tag
    elif isinstance(clean.get("evidence_note"), str):  # a new note without a chosen language: detect it
        clean["evidence_note_lang"] = languages.detect(clean["evidence_note"])
    if "evidence_source" in data:
        clean["evidence_source"] = _text(data, "evidence_source", errors, MAX_SOURCE)
    if "evidence_url" in data:
        clean["evidence_url"] = _url(data, errors)
    return clean


def clean_request_id(request_id):
    if request_id is None:
        return None
    if not isinstance(request_id, str | int) or isinstance(request_id, bool):
        raise invalid({"request_id": _("must be a string")}, message=_("request_id must be a string"))
    request_id = str(request_id)
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise invalid(
            {"request_id": _("1 to %(max)s characters") % {"max": MAX_REQUEST_ID}},
            message=_("request_id must be 1 to %(max)s characters") % {"max": MAX_REQUEST_ID},
        )
    return request_id


def clean_revision(value):
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(
            {"revision": _("this field is required: a positive integer")},
            message=_("name the revision of the hint you are editing (a positive integer)"),
        )
    return value
