"""Local media (embedded run), permission-checked like the API; config/urls.py includes it when there is no S3."""

from django.urls import re_path

from colorize.media import protected_media

urlpatterns = [re_path(r"^media/(?P<path>.*)$", protected_media, name="media")]
