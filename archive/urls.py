from django.urls import path

from archive import api

urlpatterns = [
    path("collections/", api.CollectionListView.as_view(), name="collection-list"),
    path("collections/<int:pk>/", api.CollectionDetailView.as_view(), name="collection-detail"),
    path("collections/<int:pk>/members/", api.MemberListView.as_view(), name="collection-members"),
    path(
        "collections/<int:pk>/members/<str:username>/",
        api.MemberDetailView.as_view(),
        name="collection-member",
    ),
    path("collections/<int:pk>/audit/", api.AuditListView.as_view(), name="collection-audit"),
    path("collections/<int:pk>/photos/", api.PhotoUploadView.as_view(), name="collection-photos"),
    path(
        "collections/<int:pk>/photos/metadata/",
        api.BatchMetadataView.as_view(),
        name="collection-photos-metadata",
    ),
    path("collections/<int:pk>/photos/zip/", api.ZipUploadView.as_view(), name="collection-photos-zip"),
    path("batches/<int:pk>/", api.UploadBatchView.as_view(), name="upload-batch"),
    path("photos/", api.PhotoListView.as_view(), name="photo-list"),
    path("photos/<int:pk>/", api.PhotoDetailView.as_view(), name="photo-detail"),
    path("photos/<int:pk>/original/", api.PhotoOriginalView.as_view(), name="photo-original"),
    path("eras/", api.EraListView.as_view(), name="era-list"),
    path("situations/", api.SituationListView.as_view(), name="situation-list"),
    path("eras/<slug:slug>/", api.EraDetailView.as_view(), name="era-detail"),
    path("situations/<slug:slug>/", api.SituationDetailView.as_view(), name="situation-detail"),
]
