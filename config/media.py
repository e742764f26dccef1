"""Local media (embedded run) served with the same permission checks as the API.

Every stored path starts with a prefix that names what it belongs to, so a request maps to a collection whose
role check decides: outsiders of a private collection get 404, exactly as from the API.
"""

from django.conf import settings
from django.http import Http404
from django.views.static import serve

from archive.models import Collection, Photo

_BY_COLLECTION = ("originals", "derivatives", "versions")
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


def protected_media(request, path: str):
    if ".." in path.split("/"):
        raise Http404("no such file")
    prefix = path.split("/", 1)[0]
    if prefix in _SIGNED_IN:
        if not request.user.is_authenticated:
            raise Http404("no such file")
    else:
        collection = _collection_for(path)
        if collection is None or collection.role_of(request.user) is None:
            raise Http404("no such file")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "private, max-age=3600"
    return response
