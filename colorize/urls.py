"""colorize routes, split by area so the hints and runs code can grow independently."""

from django.urls import include, path

urlpatterns = [
    path("", include("colorize.urls_hints")),
    path("", include("colorize.urls_runs")),
    path("", include("colorize.urls_repair")),
]
