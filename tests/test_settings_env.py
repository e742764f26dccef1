"""Settings come from the environment through config.env's typed helpers, and bad values fail loudly.

Most tests execute config/settings.py afresh (runpy) under a controlled environment; two run a real
`manage.py check` subprocess to show the failure reaches the operator as a clear error.
"""

import os
import re
import runpy
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PY = ROOT / "config" / "settings.py"
# Every variable settings.py reads (scanned, so a new knob is cleared here too), plus the basics by name.
SETTINGS_VARS = sorted(
    set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", SETTINGS_PY.read_text()))
    | {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "S3_BUCKET", "JOB_BACKEND", "FINDCOLOR_VAR_DIR"}
)


@pytest.fixture
def load_settings(monkeypatch):
    """load_settings(**env) -> the namespace of config/settings.py executed with exactly that env."""

    def load(**values):
        for name in SETTINGS_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_PY))

    return load


def run_check(**values) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    environ.update(values)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_with_no_environment_it_runs_embedded(load_settings, tmp_path):
    s = load_settings(FINDCOLOR_VAR_DIR=str(tmp_path))
    assert s["DEBUG"] is True
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert s["DATABASES"]["default"]["NAME"] == str(tmp_path / "findcolor.sqlite3")
    assert s["MEDIA_ROOT"] == tmp_path / "media"
    assert s["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert s["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert s["JOB_BACKEND"] == "inprocess"
    assert s["CELERY_BROKER_URL"] == "memory://"
    assert s["IS_POSTGRES"] is False


def test_an_empty_value_means_the_default(load_settings, tmp_path):
    # `NAME=` lines of an env file must not turn into empty paths or an unknown job backend.
    s = load_settings(FINDCOLOR_VAR_DIR=str(tmp_path), MEDIA_ROOT="", JOB_BACKEND="", DATABASE_URL="")
    assert s["MEDIA_ROOT"] == tmp_path / "media"
    assert s["JOB_BACKEND"] == "inprocess"
    assert s["IS_POSTGRES"] is False


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_it_refuses_a_debug_value_that_is_not_a_boolean(load_settings, value):
    with pytest.raises(ImproperlyConfigured, match=f"DEBUG={value!r} is not a boolean"):
        load_settings(DEBUG=value)


@pytest.mark.parametrize(
    "value,expected", [("0", False), ("false", False), ("NO", False), ("1", True), ("on", True)]
)
def test_it_reads_booleans_in_the_usual_spellings(load_settings, value, expected):
    assert load_settings(DEBUG=value, SECRET_KEY="x" * 50)["DEBUG"] is expected


@pytest.mark.parametrize(
    "name", ["MAX_UPLOAD_BYTES", "MAX_IMAGE_PIXELS", "JOB_WORKERS", "CELERY_VISIBILITY_TIMEOUT"]
)
def test_it_refuses_limits_that_are_not_integers(load_settings, name):
    with pytest.raises(ImproperlyConfigured, match=f"{name}='200MB' is not an integer"):
        load_settings(**{name: "200MB"})


def test_it_reads_integer_limits(load_settings):
    s = load_settings(MAX_UPLOAD_BYTES="1048576", MAX_IMAGE_PIXELS="1000000")
    assert s["MAX_UPLOAD_BYTES"] == 1_048_576
    assert s["MAX_IMAGE_PIXELS"] == 1_000_000


def test_it_requires_a_secret_key_when_debug_is_off(load_settings):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        load_settings(DEBUG="0")
    assert load_settings(DEBUG="0", SECRET_KEY="s3cret" * 10)["SECRET_KEY"] == "s3cret" * 10


def test_it_refuses_an_unknown_job_backend(load_settings):
    with pytest.raises(ImproperlyConfigured, match="JOB_BACKEND='threads': use celery, inprocess or sync"):
        load_settings(JOB_BACKEND="threads")


def test_database_url_switches_to_postgresql(load_settings):
    s = load_settings(DATABASE_URL="postgres://archivist:p%40ss@db.internal:5433/findcolor")
    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "findcolor",
        "archivist",
        "p@ss",
        "db.internal",
        "5433",
    )
    assert s["IS_POSTGRES"] is True


@pytest.mark.parametrize(
    "url,message",
    [
        ("mysql://root@localhost/findcolor", "scheme 'mysql' is not supported"),
        ("postgres://postgres@localhost:5432", "names no database"),
        ("localhost:5432/findcolor", "is not supported"),
    ],
)
def test_it_refuses_a_database_url_it_cannot_use(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        env.database_from_url(url)


def test_redis_url_switches_the_channel_layer_and_the_job_backend(load_settings):
    s = load_settings(REDIS_URL="redis://cache.internal:6380/2")
    layer = s["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert [h["address"] if isinstance(h, dict) else h for h in layer["CONFIG"]["hosts"]] == [
        "redis://cache.internal:6380/2"
    ]
    assert s["JOB_BACKEND"] == "celery"
    assert s["CELERY_BROKER_URL"] == "redis://cache.internal:6380/2"
    # An explicit JOB_BACKEND still wins (e.g. a single-process deployment with Redis for WebSockets).
    assert load_settings(REDIS_URL="redis://r:6379/0", JOB_BACKEND="inprocess")["JOB_BACKEND"] == "inprocess"


def test_channel_layer_pubsub_selects_the_redis_pubsub_layer_and_refuses_unknown_layers(load_settings):
    s = load_settings(REDIS_URL="redis://r:6379/0", CHANNEL_LAYER="pubsub")
    assert s["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    with pytest.raises(ImproperlyConfigured, match="CHANNEL_LAYER='kafka'"):
        load_settings(REDIS_URL="redis://r:6379/0", CHANNEL_LAYER="kafka")


def test_s3_bucket_switches_storage_to_django_storages(load_settings):
    s = load_settings(
        S3_BUCKET="findcolor-originals",
        S3_ENDPOINT_URL="http://minio:9000",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
    )
    default = s["STORAGES"]["default"]
    # django-storages' S3 storage, with Content-Type and Content-Disposition from the media policy.
    from django.utils.module_loading import import_string
    from storages.backends.s3 import S3Storage

    assert issubclass(import_string(default["BACKEND"]), S3Storage)
    assert default["OPTIONS"]["bucket_name"] == "findcolor-originals"
    assert default["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert default["OPTIONS"]["file_overwrite"] is False  # an original is never replaced by another upload
    assert load_settings(S3_BUCKET="b")["STORAGES"]["default"]["OPTIONS"]["endpoint_url"] is None  # AWS


def test_allowed_hosts_is_a_comma_separated_list(load_settings):
    assert load_settings(ALLOWED_HOSTS="archive.example.org, 10.0.0.5 ,")["ALLOWED_HOSTS"] == [
        "archive.example.org",
        "10.0.0.5",
    ]


def test_a_bad_value_stops_manage_py_with_a_clear_message():
    result = run_check(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_settings_pass_the_system_check(tmp_path):
    result = run_check(
        DEBUG="0", SECRET_KEY="k" * 60, ALLOWED_HOSTS="archive.example.org", FINDCOLOR_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


@pytest.mark.services
def test_the_redis_channel_layer_carries_a_group_message_through_a_real_redis(settings):
    if not _reachable(6379):
        if os.environ.get("CI") == "true":
            pytest.fail("CI: Redis is not running on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"], "prefix": f"findcolor-test-{os.getpid()}"},
        }
    }
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"

    async def round_trip():
        channel = await layer.new_channel()
        await layer.group_add("photo.test", channel)
        await layer.group_send("photo.test", {"type": "room.event", "event": {"type": "ping", "n": 1}})
        message = await layer.receive(channel)
        await layer.group_discard("photo.test", channel)
        await layer.flush()
        return message

    assert async_to_sync(round_trip)() == {"type": "room.event", "event": {"type": "ping", "n": 1}}


@pytest.mark.services
@pytest.mark.django_db
def test_with_redis_every_server_process_counts_an_outsiders_token_attempts_together(load_settings, settings):
    """The token endpoint's throttle counts per client address in the cache; with REDIS_URL that cache is Redis,
    so a second server process (here: a second, independent connection built from the same settings) sees the
    attempts the first one counted, and N processes do not allow N times the rate."""
    if not _reachable(6379):
        if os.environ.get("CI") == "true":
            pytest.fail("CI: Redis is not running on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    from django.core.cache.backends.redis import RedisCache
    from django.test import Client

    config = load_settings(REDIS_URL="redis://127.0.0.1:6379/15")["CACHES"]["default"]
    config["KEY_PREFIX"] = (
        f"findcolor-test-{os.getpid()}"  # db 15 and a private prefix: nothing else is touched
    )
    settings.CACHES = {"default": config}
    outsider = Client()
    for _ in range(3):
        answer = outsider.post(
            "/api/auth/token/", {"username": "curator", "password": "guess"}, content_type="application/json"
        )
        assert answer.status_code == 400
    other_process = RedisCache(config["LOCATION"], {"KEY_PREFIX": config["KEY_PREFIX"]})
    key = "throttle_auth_token_127.0.0.1"
    try:
        assert len(other_process.get(key)) == 3
    finally:
        other_process.delete(key)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("LANGUAGE_CODE", "fr", "LANGUAGE_CODE='fr': use ko or en"),
        (
            "C2PA_SIGN_ALG",
            "RS256",
            "C2PA_SIGN_ALG='rs256': use es256, es384, es512, ps256, ps384, ps512 or ed25519",
        ),
    ],
)
def test_every_unknown_choice_is_a_configuration_error(load_settings, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(**{name: value})


def test_a_choice_may_be_written_in_capitals_where_it_is_a_name(load_settings):
    assert load_settings(C2PA_SIGN_ALG="ES384")["C2PA_SIGN_ALG"] == "es384"
