"""The photo room's wire protocol (docs/hint-protocol.md), without any I/O: close codes, the frame types, frame
parsing and checking (`parse_frame`, `check_frame`), the per-connection token bucket, and the connection's
language. colorize/consumers.py uses these; it keeps only the socket and the dispatch.
"""

import json
import math
import time

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from config.unicode import has_lone_surrogate

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_FLOOD = 4429
# "Try again later" (the channel layer, Redis, is unavailable): the page reconnects with back-off and resumes
# from its last revision. RFC 6455's 1013 would say it, but autobahn (daphne) refuses to send any code but 1000
# and 3000-4999, so the room uses the application code 4000 + 13 (docs/hint-protocol.md).
CLOSE_TRY_AGAIN = 4013
HINT_WRITE_TYPES = {"hint.add", "hint.update", "hint.delete", "hint.verify", "hint.undo"}
# The draft repair mask's strokes (colorize/services/repair_room.py): writes like the hints', same envelope.
REPAIR_WRITE_TYPES = {"repair.stroke", "repair.stroke_undo"}
WRITE_TYPES = HINT_WRITE_TYPES | REPAIR_WRITE_TYPES
FRAME_TYPES = WRITE_TYPES | {"cursor", "suggest", "ping", "preview"}

# Every frame spends from one budget per connection, whatever it is (invalid JSON and binary included); a cursor
# move costs a quarter: the page sends at most 20 a second, which must leave room for hint writes.
CURSOR_COST = 0.25
MAX_NUMBER_DIGITS = 32  # JSON numbers longer than this are refused before Python turns them into ints


def clock() -> float:
    """The consumers' clock for cursor throttling (tests replace it to control time)."""
    return time.monotonic()


class FrameError(Exception):
    """A frame the room refuses: answered with an `error` frame (code, message, fields), never a close."""

    def __init__(self, code: str, message: str, fields: dict | None = None, request_id=None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}
        self.request_id = request_id


class TokenBucket:
    """`capacity` frames at once, refilled at `rate` per second."""

    clock = staticmethod(time.monotonic)  # tests drive a bucket with their own clock

    def __init__(self, capacity: float, rate: float):
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = self.clock()

    def take(self, cost: float = 1.0) -> bool:
        self.refill()
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    @property
    def full(self) -> bool:
        return self.tokens >= self.capacity

    def retry_after_ms(self) -> int:
        return math.ceil(max(0.0, 1 - self.tokens) / self.rate * 1000)


# ------------------------------------------------------------------------------------------- parsing


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise FrameError(
            "invalid", _("numbers in frames are at most %(max)s digits long") % {"max": MAX_NUMBER_DIGITS}
        )
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > 64:
        raise FrameError("invalid", _("numbers in frames are at most %(max)s characters long") % {"max": 64})
    value = float(text)
    if not math.isfinite(value):
        raise FrameError("invalid", _("numbers in frames must be finite"))
    return value


def _parse_constant(name: str):
    raise FrameError("invalid", _("%(name)s is not a number JSON allows") % {"name": name})


def parse_frame(text_data: str | None, max_frame: int) -> tuple[object, FrameError | None]:
    """Decode one incoming frame: -> (the JSON value, None) or (None, the error to answer). The caller spends
    from the connection's budget before it answers the error (a malformed frame costs like any other)."""
    if text_data is None:
        return None, FrameError("bad_frame", _("frames are JSON text, not binary"))
    if len(text_data) > max_frame or len(text_data.encode("utf-8", "replace")) > max_frame:
        return None, FrameError("too_large", _("frames are at most %(max)s bytes") % {"max": max_frame})
    try:
        value = json.loads(
            text_data, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except FrameError as exc:
        return None, exc
    except (ValueError, RecursionError):
        return None, FrameError("bad_json", _("the frame is not valid JSON"))
    return value, None


def frame_cost(value) -> float:
    """What a frame costs from the budget: a cursor move a quarter, anything else (malformed too) one."""
    return CURSOR_COST if isinstance(value, dict) and value.get("type") == "cursor" else 1.0


def check_frame(value) -> dict:
    """A decoded frame's envelope: a JSON object, a string-or-integer request_id, a string type, valid Unicode.
    -> the frame; raises FrameError (with the request_id once it is known to be usable)."""
    if not isinstance(value, dict):
        raise FrameError("bad_frame", _("a frame is a JSON object with a type"))
    request_id = value.get("request_id")
    if not isinstance(request_id, str | int | type(None)) or isinstance(request_id, bool):
        raise FrameError("invalid", _("request_id must be a string"), {"request_id": [_("must be a string")]})
    kind = value.get("type")
    if kind is not None and not isinstance(kind, str):  # None: answered unknown_type by the dispatch
        raise FrameError(
            "invalid", _("type must be a string"), {"type": [_("must be a string")]}, request_id=request_id
        )
    if has_lone_surrogate(value):
        raise FrameError(
            "invalid", _("text must be valid Unicode (a lone surrogate was sent)"), request_id=request_id
        )
    return value


def check_type(frame: dict) -> str:
    """The frame's type, one the room knows; a write must carry a request_id."""
    kind = frame.get("type")
    if kind not in FRAME_TYPES:
        types = ", ".join(sorted(FRAME_TYPES))
        raise FrameError(
            "unknown_type",
            _("unknown frame type %(type)s; use one of %(types)s") % {"type": repr(kind), "types": types},
        )
    if kind in WRITE_TYPES and frame.get("request_id") is None:
        raise FrameError(
            "invalid", _("%(kind)s needs a request_id") % {"kind": kind}, {"request_id": [_("required")]}
        )
    return kind


def point(frame: dict) -> tuple[float, float]:
    """The frame's (x, y), both numbers in [0, 1]."""
    errors = {}
    values = []
    for key in ("x", "y"):
        value = frame.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors[key] = [_("must be a number in %(interval)s") % {"interval": "[0, 1]"}]
        elif not 0.0 <= value <= 1.0:
            errors[key] = [_("must be in %(interval)s") % {"interval": "[0, 1]"}]
        values.append(value)
    if errors:
        raise FrameError("invalid", _("x and y must be numbers in [0, 1]"), errors)
    return float(values[0]), float(values[1])


def suggestion_count(frame: dict) -> int:
    """A suggest frame's k: how many colours, 1 to 32 (8 when absent)."""
    k = frame.get("k", 8)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 32:
        raise FrameError("invalid", _("k must be an integer in [1, 32]"), {"k": [_("1 to 32")]})
    return k


def room_language(scope) -> str:
    """The language of a room connection, chosen from its handshake as LocaleMiddleware chooses a page's
    (docs/i18n.md): the language cookie of the switcher, else the first language of Accept-Language the site
    speaks, else LANGUAGE_CODE; only languages of settings.LANGUAGES."""
    wanted = [(scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)]
    accept = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        if code == "*":  # any language: the site's own
            break
        wanted.append(code)
    for code in [*wanted, settings.LANGUAGE_CODE]:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
