"""Routes of the IIIF Image API 3.0, the BagIt export and the IIIF import (docs/interop.md); the Presentation
manifests stay in urls_runs."""

from django.urls import path, re_path

from colorize import api_interop, iiif_image

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

urlpatterns += [
    path(
        "api/collections/<int:pk>/exports/bagit/",
        api_interop.BagitExportStartView.as_view(),
        name="collection-bagit-export",
    ),
    path("api/exports/bagit/<int:pk>/", api_interop.BagitExportView.as_view(), name="bagit-export"),
    path(
        "api/exports/bagit/<int:pk>/download/",
        api_interop.BagitExportDownloadView.as_view(),
        name="bagit-export-download",
    ),
    path(
        "api/collections/<int:pk>/imports/iiif/",
        api_interop.IiifImportStartView.as_view(),
        name="collection-iiif-import",
    ),
    path("api/imports/iiif/<int:pk>/", api_interop.IiifImportView.as_view(), name="iiif-import"),
]
