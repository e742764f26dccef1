"""The IIIF tile fast path: anonymous requests for a public image's tiles answered without Django's request path.

A deep-zoom viewer asks for dozens of tiles at once. Once `iiif_image.image_view` has answered an anonymous
request for an image (so its access decision is in `iiif_image.access_cache`, which keeps only *allowed*
decisions, for IIIF_ACCESS_CACHE_SECONDS, emptied at once by any change that can take access away), the next
tiles of that image cost Django's middleware chain and the thread its ASGI handler starts for each request:
more than the tile itself (docs/interop.md, "Measured"). This ASGI wrapper (config/asgi.py) answers them
itself when, and only when, all of these hold:

* GET or HEAD of an image request URI (`/iiif/3/{id}/{region}/{size}/{rotation}/{quality}.{fmt}`), with no
  query string, no Cookie and no Authorization header: an anonymous reader, as the view would see it;
* the anonymous decision for that identifier is cached and public (never a private image: anonymous readers
  are never allowed one, and the rule stays the view's: the fast path only reads what the view decided);
* the view has already answered a tile of that identifier under the same access generation, and its headers
  (those the middleware adds included) are kept as this identifier's template: the fast path replays them, so
  its answers are the view's;
* the request parses (any error is left to the view, which answers it in the API's error format).

Everything else goes to Django unchanged. Rendering happens in the view's render threads, from the same
pyramid and tile cache.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

from django.conf import settings

from colorize import iiif_image
from colorize.services import image_service

_TILE = re.compile(r"^/iiif/3/([^/]+)/([^/]+)/([^/]+)/([^/]+)/([^/.]+)\.([^/.]+)$")
# Headers of the view's answer that belong to one request, not to the image: never replayed.
_OWN = {b"content-length", b"content-type", b"content-language", b"date", b"server"}
_MAX_TEMPLATES = 10_000


class _Templates:
    """identifier -> (access generation, headers of the view's 200 answer to an anonymous tile request)."""

    def __init__(self):
        self.items: dict[str, tuple[int, list]] = {}
        self.lock = threading.Lock()

    def get(self, identifier: str):
        found = self.items.get(identifier)
        if found is None or found[0] != iiif_image.access_cache.generation:
            return None
        return found[1]

    def put(self, identifier: str, generation: int, headers: list) -> None:
        with self.lock:
            if generation != iiif_image.access_cache.generation:
                return
            if len(self.items) >= _MAX_TEMPLATES:
                self.items.clear()
            self.items[identifier] = (generation, headers)


templates = _Templates()


def _anonymous_tile(scope) -> re.Match | None:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope.get("query_string"):
        return None
    for name, _value in scope.get("headers", ()):
        if name in (b"cookie", b"authorization"):
            return None
    return _TILE.match(scope.get("path", ""))


async def _answer(match: re.Match):
    """(headers, body) from memory and the render threads, or None when the view must answer."""
    identifier = unquote(match.group(1))
    source = iiif_image.access_cache.get((identifier, None))
    template = templates.get(identifier)
    if source is None or template is None or not source.public:
        return None
    try:
        parsed = image_service.parse(source.width, source.height, *match.groups()[1:])
    except image_service.ImageRequestError:
        return None
    data = image_service.cached_tile(source.key, parsed)
    if data is None:
        if not image_service.pyramid_path(source.key).exists():
            return None
        try:
            data = await iiif_image.render_in_pool(source, parsed)
        except image_service.SourceUnreadable:
            return None
    headers = [
        *template,
        (b"content-type", image_service.FORMATS[parsed.format].encode("latin-1")),
        (b"content-length", str(len(data)).encode("ascii")),
    ]
    return headers, data


class FastTiles:
    """ASGI middleware in front of Django's application (config/asgi.py)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        match = _anonymous_tile(scope) if settings.IIIF_FAST_PATH else None
        if match is None:
            return await self.app(scope, receive, send)
        answer = await _answer(match)
        if answer is not None:
            headers, body = answer
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return None
        return await self.app(scope, receive, _learning(send, unquote(match.group(1))))


def _learning(send, identifier: str):
    """`send`, keeping the headers of the view's 200 answer to this anonymous, public tile request."""
    generation = iiif_image.access_cache.generation

    async def wrapped(message):
        if message["type"] == "http.response.start" and message["status"] == 200:
            headers = [(k.lower(), v) for k, v in message.get("headers", ())]
            names = {k for k, _v in headers}
            public = (b"access-control-allow-origin", b"*") in headers
            if public and b"set-cookie" not in names:
                templates.put(identifier, generation, [(k, v) for k, v in headers if k not in _OWN])
        await send(message)

    return wrapped
