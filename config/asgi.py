import os

from django.core.asgi import get_asgi_application


def leave_form_bodies_to_django() -> None:
    """Twisted parses every POST multipart body itself before daphne sees the request (for its own
    `request.args`, which daphne never reads: it hands the raw body to Django). A body Twisted's parser cannot
    read (only a closing boundary, `--X--`) got a bare 400 with no body from Twisted, never reaching the API's
    error format. Turned off, Django and DRF parse the body once and answer in config/api.py's format; big
    uploads are no longer parsed twice, the first time whole in memory. docs/uploads.md."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # not served by daphne
        return
    if getattr(WebRequest, "_forms_left_to_django", False):
        return
    twisted_init = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        twisted_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False  # twisted.web.http.Request's switch (Twisted >= 24.7)

    WebRequest.__init__ = __init__
    WebRequest._forms_left_to_django = True


leave_form_bodies_to_django()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()
# Static files come from whitenoise's middleware (caching headers, compression), inside the Django app.
# In front of it, the IIIF tile fast path (colorize/iiif_fast.py): anonymous tiles of public images whose access
# the tile view has already decided, answered without Django's request path. A dotted path: config stays below
# colorize.
from config.jobs import resolve  # noqa: E402

http_app = resolve("colorize.iiif_fast.FastTiles")(django_asgi_app)

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
resolve("colorize.services.model.warm_in_background")()
