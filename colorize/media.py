"""Local media (embedded run) served with the same permission checks as the API, and never as a page.

Every stored path starts with a prefix that names what it belongs to, so a request maps to a collection whose
role check decides: outsiders of a private collection get 404, exactly as from the API.

Serving policy (docs/uploads.md): the Content-Type comes from an allowlist of image extensions (anything
else is application/octet-stream), every response carries `X-Content-Type-Options: nosniff` and a sandbox
CSP, and files that users supplied (originals, references, evidence images) are attachments. The services
name every stored file from its detected format, so a PNG uploaded as `x.html` is stored and served as PNG.
"""

import posixpath

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.views.static import serve

from archive.access import role_of
from archive.models import Collection, Photo
from colorize.access import may_see_version
from colorize.models import Version
from config.http_auth import token_or_session
from config.media_policy import media_type, must_download

_BY_COLLECTION = ("originals", "derivatives", "versions", "collection-references")
_BY_PHOTO = ("runs", "hint-evidence")
_SIGNED_IN = ("references",)


def _collection_for(path: str) -> Collection | None:
    parts = path.split("/")
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    if parts[0] in _BY_COLLECTION:
        return Collection.objects.filter(pk=int(parts[1])).first()
    if parts[0] in _BY_PHOTO:
        photo = Photo.objects.select_related("collection").filter(pk=int(parts[1])).first()
        return photo.collection if photo else None
    return None


def _version_file_visible(user, path: str) -> bool:
    """A version's result, preview or uncertainty map: the API's rule for the version decides (readers of a
    public collection who are not members see only the published version's files)."""
    version = (
        Version.objects.select_related("photo__collection")
        .filter(Q(result=path) | Q(preview=path) | Q(uncertainty=path))
        .first()
    )
    return version is not None and may_see_version(user, version)


@token_or_session
def protected_media(request, path: str):
    if ".." in path.split("/"):
        raise Http404("no such file")
    prefix = path.split("/", 1)[0]
    if prefix in _SIGNED_IN:
        if not request.user.is_authenticated:
            raise Http404("no such file")
    else:
        collection = _collection_for(path)
        if collection is None or role_of(request.user, collection) is None:
            raise Http404("no such file")
        if prefix == "versions" and not _version_file_visible(request.user, path):
            raise Http404("no such file")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "private, max-age=3600"
    if response.status_code == 200:
        response["Content-Type"] = media_type(path)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    if must_download(path):
        response["Content-Disposition"] = f'attachment; filename="{posixpath.basename(path)}"'
    return response
