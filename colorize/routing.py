"""colorize's WebSocket routes (config/routing.py includes them, like config/urls.py includes colorize.urls)."""

from django.urls import re_path

from colorize.consumers import PhotoRoomConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/photos/(?P<photo_id>\d+)/$", PhotoRoomConsumer.as_asgi()),
]
