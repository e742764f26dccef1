"""WebSocket routes. Apps add their consumers here."""

from django.urls import re_path

from colorize.consumers import PhotoRoomConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/photos/(?P<photo_id>\d+)/$", PhotoRoomConsumer.as_asgi()),
]
