"""IIIF Image API 3.0 endpoints (docs/interop.md): /iiif/3/{identifier}/info.json and
/iiif/3/{identifier}/{region}/{size}/{rotation}/{quality}.{format}.

Identifiers: `photo-{id}` is a photo's original (as shown: EXIF orientation applied), `version-{id}` a version's
full-resolution result. Access is the media rule: the collection's readers see originals, a version follows
`may_see_version` (members every version, other readers the published one); anyone else gets the one 404.
Images anyone may see (public collection, published version) answer with `Access-Control-Allow-Origin: *`
and a public cache lifetime, so outside viewers (Mirador, OpenSeadragon on other sites) can use them.
"""

import logging
import re

from django.contrib.auth.models import AnonymousUser
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


def _source(user, identifier: str) -> _Source:
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


@require_safe
@token_or_session
def image_view(request, identifier: str, region: str, size: str, rotation: str, quality: str, fmt: str):
    try:
        source = _source(request.user, identifier)
        parsed = image_service.parse(source.width, source.height, region, size, rotation, quality, fmt)
    except (NotFound, ServiceError, image_service.ImageRequestError) as exc:
        return _error(exc)
    try:
        pyramid = image_service.build_pyramid(source.file, source.key)
        data = image_service.render(pyramid, source.width, source.height, parsed)
    except image_service.SourceUnreadable:
        log.exception("IIIF: the stored image of %s cannot be read", identifier)
        response = JsonResponse(
            error_body("image_unreadable", gettext("the stored image cannot be read; it has been reported")),
            status=422,
        )
        return _headers(response, source)
    response = HttpResponse(data, content_type=image_service.FORMATS[parsed.format])
    return _headers(response, source)
