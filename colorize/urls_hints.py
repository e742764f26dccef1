from django.urls import path

from colorize import api_hints

urlpatterns = [
    path("api/photos/<int:photo_id>/hints/", api_hints.PhotoHintsView.as_view(), name="photo-hints"),
    path(
        "api/photos/<int:photo_id>/hints/undo/",
        api_hints.PhotoHintUndoView.as_view(),
        name="photo-hints-undo",
    ),
    path(
        "api/photos/<int:photo_id>/hint-events/",
        api_hints.PhotoHintEventsView.as_view(),
        name="photo-hint-events",
    ),
    path("api/hints/<int:hint_id>/", api_hints.HintDetailView.as_view(), name="hint-detail"),
    path(
        "api/hints/<int:hint_id>/evidence-image/",
        api_hints.HintEvidenceImageView.as_view(),
        name="hint-evidence-image",
    ),
]
