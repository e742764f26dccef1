"""Routes of repair before colour (docs/repair.md, "Platform")."""

from django.urls import path

from colorize import api_repair as api

urlpatterns = [
    path("api/photos/<int:photo_id>/repair/", api.PhotoRepairView.as_view(), name="photo-repair"),
    path("api/photos/<int:photo_id>/repair/scans/", api.PhotoScansView.as_view(), name="photo-repair-scans"),
    path("api/photos/<int:photo_id>/repair/mask.png", api.MaskView.as_view(), name="photo-repair-mask"),
    path("api/photos/<int:photo_id>/repair/strokes/", api.StrokesView.as_view(), name="photo-repair-strokes"),
    path(
        "api/photos/<int:photo_id>/repair/strokes/undo/",
        api.StrokeUndoView.as_view(),
        name="photo-repair-stroke-undo",
    ),
    path(
        "api/photos/<int:photo_id>/repair/preview.png", api.PreviewView.as_view(), name="photo-repair-preview"
    ),
    path("api/photos/<int:photo_id>/repair/apply/", api.ApplyView.as_view(), name="photo-repair-apply"),
    path("api/photos/<int:photo_id>/repair/undo/", api.UndoRepairView.as_view(), name="photo-repair-undo"),
    path("api/repair-scans/<int:scan_id>/", api.ScanView.as_view(), name="repair-scan"),
    path("api/repair-scans/<int:scan_id>/cancel/", api.ScanCancelView.as_view(), name="repair-scan-cancel"),
    path("api/repaired-bases/<int:base_id>/", api.BaseView.as_view(), name="repaired-base"),
    path(
        "api/repaired-bases/<int:base_id>/mask.png",
        api.BaseFileView.as_view(field="mask"),
        name="repaired-base-mask",
    ),
    path(
        "api/repaired-bases/<int:base_id>/image.png",
        api.BaseFileView.as_view(field="image"),
        name="repaired-base-image",
    ),
]
