"""The IIIF tile fast path (colorize/iiif_fast.py): anonymous tiles of a public image the tile view has already
answered are served without Django's request path, with the view's own answer; everything else goes to Django."""

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application

from archive.models import Visibility
from archive.services.collections import do_update_collection
from colorize import iiif_fast
from colorize.services import image_service
from tests.test_run_support import make_photo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("test_colorizer")]
A = "0,0,256,256/256,/0/default.jpg"
B = "256,0,256,256/256,/0/default.jpg"
SKIP = {b"date", b"server", b"content-language"}


class Counted:
    """Django's own ASGI application, counting the requests that reach it."""

    def __init__(self):
        self.app = get_asgi_application()
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        return await self.app(scope, receive, send)


@pytest.fixture
def stack():
    image_service._tiles = None
    iiif_fast.templates.items.clear()
    django_app = Counted()
    return django_app, iiif_fast.FastTiles(django_app)


def get(app, path, method="GET", headers=(), query=b""):
    """(status, headers dict, body) of one HTTP request through an ASGI application."""

    async def call():
        scope = {
            "type": "http", "http_version": "1.1", "method": method, "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }  # fmt: skip
        comm = ApplicationCommunicator(app, scope)
        await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await comm.receive_output(30)
        body = b""
        while True:
            message = await comm.receive_output(30)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        return start["status"], {k.lower(): v for k, v in start["headers"]}, body

    return async_to_sync(call)()


def same_headers(headers: dict) -> dict:
    """The headers that belong to the image's answer (names are case-insensitive; date and server are the
    server's, the language the request's)."""
    return {k.lower(): v for k, v in headers.items() if k.lower() not in SKIP}


def public_photo(people):
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PUBLIC})
    return make_photo(people.collection, people.curator, width=600, height=400)


def test_a_visitors_next_tiles_of_a_public_image_skip_django_and_are_the_views_own_answer(people, stack):
    django_app, app = stack
    photo = public_photo(people)
    base = f"/iiif/3/photo-{photo.pk}/"
    assert get(app, base + A)[0] == 200 and django_app.calls == 1  # the view decides and answers first
    fast = get(app, base + B)
    assert django_app.calls == 1  # answered by the fast path
    view = get(django_app, base + B)  # the same request, answered by Django's view
    assert fast[0] == view[0] == 200 and fast[2] == view[2]
    assert same_headers(fast[1]) == same_headers(view[1])
    assert fast[1][b"access-control-allow-origin"] == b"*" and fast[1][b"content-type"] == b"image/jpeg"


def test_a_head_request_gets_the_headers_and_no_body(people, stack):
    django_app, app = stack
    photo = public_photo(people)
    base = f"/iiif/3/photo-{photo.pk}/"
    full = get(app, base + A)
    head = get(app, base + A, method="HEAD")
    assert django_app.calls == 1 and head[0] == 200 and head[2] == b""
    assert head[1][b"content-length"] == str(len(full[2])).encode()


def test_a_private_image_is_never_served_by_the_fast_path(people, stack):
    django_app, app = stack
    photo = make_photo(people.collection, people.curator, width=600, height=400)  # private collection
    base = f"/iiif/3/photo-{photo.pk}/"
    assert get(app, base + A)[0] == 404
    assert get(app, base + B)[0] == 404
    assert django_app.calls == 2 and not iiif_fast.templates.items


def test_a_visitor_loses_the_fast_path_at_once_when_the_owner_makes_the_collection_private(people, stack):
    django_app, app = stack
    photo = public_photo(people)
    base = f"/iiif/3/photo-{photo.pk}/"
    assert get(app, base + A)[0] == 200
    assert get(app, base + B)[0] == 200 and django_app.calls == 1
    do_update_collection(people.owner, people.collection, {"visibility": Visibility.PRIVATE})
    assert get(app, base + B)[0] == 404 and django_app.calls == 2  # Django's view decided afresh


@pytest.mark.parametrize(
    "headers, query",
    [([(b"cookie", b"sessionid=abc")], b""), ([(b"authorization", b"Token nope")], b""), ([], b"x=1")],
    ids=["a cookie", "a token", "a query string"],
)
def test_a_request_with_credentials_or_a_query_always_goes_to_django(people, stack, headers, query):
    django_app, app = stack
    photo = public_photo(people)
    base = f"/iiif/3/photo-{photo.pk}/"
    assert get(app, base + A)[0] == 200
    get(app, base + B, headers=headers, query=query)
    assert django_app.calls == 2


def test_with_the_fast_path_off_every_tile_goes_to_django(people, stack, settings):
    settings.IIIF_FAST_PATH = False
    django_app, app = stack
    photo = public_photo(people)
    base = f"/iiif/3/photo-{photo.pk}/"
    assert get(app, base + A)[0] == 200 and get(app, base + B)[0] == 200
    assert django_app.calls == 2


def test_a_bad_image_request_is_answered_by_the_view_in_the_apis_error_format(people, stack):
    django_app, app = stack
    photo = public_photo(people)
    base = f"/iiif/3/photo-{photo.pk}/"
    assert get(app, base + A)[0] == 200
    status, headers, body = get(app, base + "0,0,256,256/256,/0/default.gif")
    assert status == 400 and django_app.calls == 2 and b"bad_image_request" in body
