"""Routes of the IIIF Image API 3.0 (docs/interop.md); the Presentation manifests stay in urls_runs."""

from django.urls import re_path

from colorize import iiif_image

_ID = r"(?P<identifier>[^/]+)"

urlpatterns = [
    re_path(rf"^iiif/3/{_ID}$", iiif_image.base_view, name="iiif-image-base"),
    re_path(rf"^iiif/3/{_ID}/info\.json$", iiif_image.info_view, name="iiif-image-info"),
    re_path(
        rf"^iiif/3/{_ID}/(?P<region>[^/]+)/(?P<size>[^/]+)/(?P<rotation>[^/]+)/(?P<quality>[^/.]+)\.(?P<fmt>[^/.]+)$",
        iiif_image.image_view,
        name="iiif-image",
    ),
]
