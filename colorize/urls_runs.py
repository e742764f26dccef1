"""Routes of runs, versions, reviews, exports, reference photos, adaptations, IIIF and hint annotations."""

from django.urls import path

from colorize import api_adaptation as adapt_api
from colorize import api_runs as api
from colorize import iiif

urlpatterns = [
    path("api/photos/<int:photo_id>/runs/", api.PhotoRunsView.as_view(), name="photo-runs"),
    path("api/runs/<int:run_id>/", api.RunView.as_view(), name="run-detail"),
    path("api/runs/<int:run_id>/cancel/", api.RunCancelView.as_view(), name="run-cancel"),
    path(
        "api/collections/<int:collection_id>/runs/", api.CollectionRunsView.as_view(), name="collection-runs"
    ),
    path("api/photos/<int:photo_id>/versions/", api.PhotoVersionsView.as_view(), name="photo-versions"),
    path("api/versions/<int:version_id>/", api.VersionView.as_view(), name="version-detail"),
    path("api/versions/<int:version_id>/compare/", api.VersionCompareView.as_view(), name="version-compare"),
    path(
        "api/versions/<int:version_id>/restore-hints/",
        api.VersionRestoreHintsView.as_view(),
        name="version-restore-hints",
    ),
    path("api/versions/<int:version_id>/submit/", api.VersionSubmitView.as_view(), name="version-submit"),
    path("api/versions/<int:version_id>/approve/", api.VersionApproveView.as_view(), name="version-approve"),
    path("api/versions/<int:version_id>/reject/", api.VersionRejectView.as_view(), name="version-reject"),
    path("api/versions/<int:version_id>/reviews/", api.VersionReviewsView.as_view(), name="version-reviews"),
    path("api/versions/<int:version_id>/export/", api.VersionExportView.as_view(), name="version-export"),
    path("api/versions/<int:version_id>/sidecar/", api.VersionSidecarView.as_view(), name="version-sidecar"),
    path("api/reviews/", api.ReviewQueueView.as_view(), name="review-queue"),
    path("api/references/", api.ReferencesView.as_view(), name="references"),
    path("api/references/<int:reference_id>/", adapt_api.ReferenceView.as_view(), name="reference-detail"),
    path(
        "api/collections/<int:collection_id>/references/",
        adapt_api.CollectionReferencesView.as_view(),
        name="collection-references",
    ),
    path(
        "api/collections/<int:collection_id>/adaptation/",
        adapt_api.CollectionAdaptationView.as_view(),
        name="collection-adaptation",
    ),
    path("api/adaptations/", adapt_api.AdaptationsView.as_view(), name="adaptations"),
    path("api/photos/<int:photo_id>/annotations/", iiif.annotations_view, name="photo-annotations"),
    path("iiif/photos/<int:photo_id>/manifest.json", iiif.manifest_view, name="iiif-photo-manifest"),
    path(
        "iiif/collections/<int:collection_id>/collection.json", iiif.collection_view, name="iiif-collection"
    ),
]
