"""IIIF Image API 3.0 endpoints (docs/interop.md): /iiif/3/{identifier}/info.json and
/iiif/3/{identifier}/{region}/{size}/{rotation}/{quality}.{format}.

Identifiers: `photo-{id}` is a photo's original (as shown: EXIF orientation applied), `version-{id}` a version's
full-resolution result. Access is the media rule: the collection's readers see originals, a version follows
`may_see_version` (members every version, other readers the published one); anyone else gets the one 404.
Images anyone may see (public collection, published version) answer with `Access-Control-Allow-Origin: *`
and a public cache lifetime, so outside viewers (Mirador, OpenSeadragon on other sites) can use them.
"""

import asyncio
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from archive.access import check_role, role_of
from archive.models import Photo
from colorize.access import get_version_for, may_see_version
from colorize.services import image_service
from config.api import NotFound, ServiceError, error_body
from config.http_auth import token_or_session

log = logging.getLogger(__name__)
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE = "level2"
_PHOTO_FIELDS = (
    "id",
    "sha256",
    "width",
    "height",
    "original",
    "collection__id",
    "collection__owner_id",
    "collection__visibility",
)
_IDENTIFIER = re.compile(r"(photo|version)-([1-9]\d{0,18})")


class _Source:
    """What an identifier names: the file, its content key, its size and whether anyone may see it."""

    def __init__(self, file, key: str, width: int, height: int, public: bool):
        self.file, self.key, self.width, self.height, self.public = file, key, width, height, public


class _AccessCache:
    """Access decisions that ALLOWED a reader, kept IIIF_ACCESS_CACHE_SECONDS per (identifier, user or anonymous).

    A deep-zoom viewer asks for dozens of tiles of one image at once; each would otherwise query the photo and
    the reader's membership (and open a database connection: each request runs in a thread of its own). Only
    allowed answers are kept (a refusal is always decided afresh), keyed by the user, so no reader ever gets
    another's decision. Any change that can take access away (a collection, membership, photo, version, review or
    user saved or deleted) empties the cache of this process at once; other processes keep a decision at most
    the lifetime, far shorter than the hour their tiles may already be cached by browsers (Cache-Control).
    """

    def __init__(self):
        self.items: dict[tuple, tuple[float, _Source]] = {}
        self.lock = threading.Lock()
        self.generation = 0  # counts the clears: a decision begun before one is not kept

    def get(self, key: tuple) -> _Source | None:
        found = self.items.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            with self.lock:
                self.items.pop(key, None)
            return None
        return found[1]

    def put(self, key: tuple, source: _Source, generation: int) -> None:
        """Keep a decision made from what the database said when the generation was `generation`."""
        lifetime = settings.IIIF_ACCESS_CACHE_SECONDS
        if lifetime <= 0:
            return
        with self.lock:
            if generation != self.generation:  # access changed while it was decided: it may be stale
                return
            if len(self.items) >= 10_000:  # bounded: drop everything rather than track ages
                self.items.clear()
            self.items[key] = (time.monotonic() + lifetime, source)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.generation += 1


access_cache = _AccessCache()


def _access_changed(**kwargs) -> None:
    """A change that may take access away: forget every decision now, and again once it is committed (a decision
    made meanwhile read the state before the change)."""
    access_cache.clear()
    transaction.on_commit(access_cache.clear)


def connect_access_invalidation() -> None:
    """Empty the access cache whenever something access depends on is saved or deleted (colorize.apps)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from accounts.models import Membership
    from archive.models import Collection
    from colorize.models import Review, Version

    for model in (Collection, Membership, Photo, Version, Review, get_user_model()):
        for signal in (post_save, post_delete):
            signal.connect(_access_changed, sender=model, dispatch_uid=f"iiif-access-{model.__name__}")


def _access_key(user, identifier: str) -> tuple:
    return identifier, user.pk if user is not None and user.is_authenticated else None


def _source(user, identifier: str) -> _Source:
    """What `identifier` names, if `user` may see it (else NotFound), from the access cache when it holds it."""
    key = _access_key(user, identifier)
    source = access_cache.get(key)
    if source is None:
        generation = access_cache.generation
        source = _decide(user, identifier)
        access_cache.put(key, source, generation)
    return source


def _decide(user, identifier: str) -> _Source:
    m = _IDENTIFIER.fullmatch(identifier)
    if not m:
        raise NotFound()
    kind, pk = m.group(1), int(m.group(2))
    if kind == "photo":
        # The access rule of get_photo_for (check_role on the photo's collection), loading only what a tile
        # needs: building the SQL of the full photo with its owner and era costs more than the tile itself.
        photo = (
            Photo.objects.select_related("collection").only(*_PHOTO_FIELDS).filter(pk=pk).order_by().first()
        )
        if photo is None:
            raise NotFound()
        check_role(user, photo.collection)
        public = role_of(AnonymousUser(), photo.collection) is not None
        return _Source(photo.original, photo.sha256, photo.width, photo.height, public)
    version = get_version_for(user, pk)
    public = role_of(AnonymousUser(), version.photo.collection) is not None and may_see_version(
        AnonymousUser(), version
    )
    return _Source(version.result, version.result_sha256, version.width, version.height, public)


def service_id(request, identifier: str) -> str:
    return request.build_absolute_uri(reverse("iiif-image-base", args=[identifier]))


def service_reference(request, identifier: str) -> dict:
    """The `service` entry of a Presentation 3 painting body."""
    return {"id": service_id(request, identifier), "type": "ImageService3", "profile": PROFILE}


def info(request, identifier: str, source: _Source) -> dict:
    W, H = source.width, source.height
    return {
        "@context": IMAGE_CONTEXT,
        "id": service_id(request, identifier),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": PROFILE,
        "width": W,
        "height": H,
        "maxArea": image_service.max_area(W, H),
        "tiles": [{"width": image_service.TILE, "scaleFactors": image_service.scale_factors(W, H)}],
        "sizes": image_service.sizes(W, H),
        "extraQualities": ["color", "gray", "bitonal"],
        "extraFeatures": ["mirroring", "rotationBy90s", "sizeUpscaling"],
    }


def _headers(response, source: _Source | None):
    response["X-Content-Type-Options"] = "nosniff"
    if source is not None and source.public:
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=3600"
    else:
        response["Cache-Control"] = "private, max-age=3600"
        response["Vary"] = "Cookie, Authorization"
    return response


def _error(exc: Exception):
    if isinstance(exc, image_service.ImageRequestError):
        body, status = error_body("bad_image_request", exc.message), exc.status
    elif isinstance(exc, ServiceError) and exc.status_code != 404:
        body, status = error_body(exc.code, str(exc.message)), exc.status_code
    else:
        body, status = NotFound.body(), 404
    response = JsonResponse(body, status=status)
    response["Access-Control-Allow-Origin"] = "*"  # an error tells nothing an outsider may not know
    return response


@require_safe
@token_or_session
def base_view(request, identifier: str):
    """The base URI redirects to the image information (Image API 3.0 2.2)."""
    return HttpResponseRedirect(reverse("iiif-image-info", args=[identifier]), status=303)


@require_safe
@token_or_session
def info_view(request, identifier: str):
    try:
        source = _source(request.user, identifier)
    except (NotFound, ServiceError) as exc:
        return _error(exc)
    response = JsonResponse(info(request, identifier, source), json_dumps_params={"ensure_ascii": False})
    if "application/ld+json" in request.headers.get("Accept", ""):
        response["Content-Type"] = f'application/ld+json;profile="{IMAGE_CONTEXT}"'
    response["Link"] = f'<http://iiif.io/api/image/3/{PROFILE}.json>;rel="profile"'
    return _headers(response, source)


_render_pool: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The threads that render (libvips releases the GIL): a few long-lived ones, not one per request."""
    global _render_pool
    if _render_pool is None:
        _render_pool = ThreadPoolExecutor(settings.IIIF_RENDER_THREADS, thread_name_prefix="findcolor-iiif")
    return _render_pool


def _render_tile(source: _Source, parsed) -> bytes:
    pyramid = image_service.build_pyramid(source.file, source.key)  # made by now (unless deleted meanwhile)
    return image_service.render(pyramid, source.width, source.height, parsed)


async def render_in_pool(source: _Source, parsed) -> bytes:
    """Render from the made pyramid in the render threads (the tile view and the fast path, colorize/iiif_fast.py).
    Raises image_service.SourceUnreadable."""
    return await asyncio.get_running_loop().run_in_executor(_pool(), _render_tile, source, parsed)


@require_safe
@token_or_session
async def image_view(request, identifier: str, region: str, size: str, rotation: str, quality: str, fmt: str):
    """Async: a tile whose access decision and bytes are cached is answered on the event loop with no query and
    no thread hop; an access decision otherwise runs in the request's thread (the ORM), a rendering in the
    render threads. Anonymous requests without a cookie touch neither the session nor the database."""
    try:
        user = await request.auser()
        source = access_cache.get(_access_key(user, identifier))
        if source is None:
            source = await sync_to_async(_source)(user, identifier)
        parsed = image_service.parse(source.width, source.height, region, size, rotation, quality, fmt)
    except (NotFound, ServiceError, image_service.ImageRequestError) as exc:
        return _error(exc)
    try:
        data = image_service.cached_tile(source.key, parsed)
        if data is None:
            if not image_service.pyramid_path(source.key).exists():
                # Not made at ingest (a photo from before, a failed build): made once, here, outside the render
                # threads, so a long build does not hold up the tiles of other images.
                await sync_to_async(image_service.build_pyramid, thread_sensitive=False)(
                    source.file, source.key
                )
            data = await render_in_pool(source, parsed)
    except image_service.SourceUnreadable:
        log.exception("IIIF: the stored image of %s cannot be read", identifier)
        response = JsonResponse(
            error_body("image_unreadable", gettext("the stored image cannot be read; it has been reported")),
            status=422,
        )
        return _headers(response, source)
    response = HttpResponse(data, content_type=image_service.FORMATS[parsed.format])
    return _headers(response, source)
