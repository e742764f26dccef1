import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()
# Static files come from whitenoise's middleware (caching headers, compression), inside the Django app.
http_app = django_asgi_app

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.ws_auth import SameOriginValidator, TokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Only a serving process loads this module: in the embedded mode it runs the start and periodic jobs
# (config/periodic.py; with Celery, beat does).
from config.periodic import start_embedded  # noqa: E402

start_embedded()

# The model loads in a background thread as the server starts (settings.MODEL_WARM_ON_START), not on the first
# curator's suggestion or preview. A dotted path, like the start jobs: config stays below colorize.
from config.jobs import resolve  # noqa: E402

resolve("colorize.services.model.warm_in_background")()
