"""Shared fixtures: the named personas of every permission test, and isolated media storage."""

from types import SimpleNamespace

import pytest

from accounts.models import Role
from tests.factories import CollectionFactory, UserFactory, add_member


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.IIIF_CACHE_DIR = str(tmp_path / "iiif")  # pyramids are derivatives too
    settings.JOB_BACKEND = "sync"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the local-memory cache, IIIF access decisions in their own: each test starts
    with none."""
    from django.core.cache import cache

    from colorize.iiif_image import access_cache

    cache.clear()
    access_cache.clear()


@pytest.fixture
def people(db):
    """owner, curator, reviewer, viewer of one private collection, and an outsider."""
    owner = UserFactory(username="owner")
    collection = CollectionFactory(owner=owner, title="Liberation 1945")
    curator = UserFactory(username="curator")
    reviewer = UserFactory(username="reviewer")
    viewer = UserFactory(username="viewer")
    outsider = UserFactory(username="outsider")
    add_member(collection, curator, Role.CURATOR)
    add_member(collection, reviewer, Role.REVIEWER)
    add_member(collection, viewer, Role.VIEWER)
    return SimpleNamespace(
        collection=collection,
        owner=owner,
        curator=curator,
        reviewer=reviewer,
        viewer=viewer,
        outsider=outsider,
    )


@pytest.fixture
def client_for(client):
    """client_for(user) -> a Django test client signed in as user (None: anonymous)."""
    from django.test import Client

    def make(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at full strength costs about a second per user on this machine; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def test_colorizer(settings):
    """Runs, previews and suggestions use the small test colorizer of tests/test_run_support.py."""
    from tests.test_run_support import COLORIZER_PATH

    settings.COLORIZER = COLORIZER_PATH


@pytest.fixture
def no_previews(settings):
    """Hint changes render no preview (tests of hints and rooms themselves)."""
    settings.ROOM_PREVIEW_BACKEND = "off"


@pytest.fixture
def short_lived_connections():
    """Channels consumers' ORM threads keep their connections (CONN_MAX_AGE with DATABASE_URL): close them
    after each call, and after the test, so PostgreSQL can drop the test database at the end."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    database = connections.settings["default"]
    max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = max_age
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()  # the tests' own ORM thread


@pytest.fixture
def memory_layer(settings):
    """The in-memory channel layer (room tests that need no Redis)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def photo(people):
    """A small stored photo in the people's collection (modules that need another one define their own)."""
    from tests.factories import make_photo

    return make_photo(people.collection)
