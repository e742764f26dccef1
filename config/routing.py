"""WebSocket routes: each app's `routing.websocket_urlpatterns`, named by module path like the `include()`s of
config/urls.py (the project package stays below the apps: see the import contracts in pyproject.toml)."""

from importlib import import_module

ROUTE_MODULES = ("colorize.routing",)

websocket_urlpatterns: list = [
    route for module in ROUTE_MODULES for route in import_module(module).websocket_urlpatterns
]
