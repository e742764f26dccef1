from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz

# Under /api/, Django's own error answers (no route matched, a suspicious request, a server error) are JSON in
# the API's one error format; elsewhere its usual pages (config/api.py).
handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The language switcher posts here (sets the django_language cookie); the pages' JavaScript reads its
    # strings from the djangojs catalogue of the active language.
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP), nothing from a CDN.
    # Swagger UI sets inline styles: its page alone allows them (styles only; scripts stay 'self').
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("api/", include("accounts.urls")),
    path("api/", include("archive.urls")),
    path("", include("colorize.urls")),
    path("", include("colorize.urls_iiif")),
    path("", include("frontend.urls")),
]

if not settings.S3_BUCKET:
    # Local media (embedded run), permission-checked like the API. With S3, files are reached through
    # short-lived signed URLs that only the API hands out.
    urlpatterns += [path("", include("colorize.urls_media"))]
