"""Find Color settings: one module, every knob read from the environment through config.env.

Embedded defaults (no env set): SQLite under var/, local media folder, in-memory channel layer and the
in-process job executor. DATABASE_URL switches to PostgreSQL, REDIS_URL to channels-redis + Celery, and
S3_BUCKET to django-storages S3.
"""

import sys
from datetime import timedelta
from pathlib import Path

from config.env import database_from_url, env_bool, env_choice, env_int, env_list, env_str, env_time_zone

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("FINDCOLOR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    # modeltranslation must come before admin: it adds name_ko/name_en to the vocabularies (archive/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",  # naturaltime: "방금", "3분 전" (the review queue)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from /static/: /api/docs/ works offline
    "channels",
    "csp",
    "axes",
    "accounts",
    "archive",
    "colorize",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with far-future caching of hashed names and compression (instead of ASGIStaticFilesHandler).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language comes from the django_language cookie (the switcher,
    # /i18n/setlang/), else Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.BadInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The viewer's time zone (a cookie the pages' JavaScript sets from the browser) for rendered dates.
    "frontend.middleware.TimezoneMiddleware",
    # Last: turns an axes lockout into the 429 answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "findcolor.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",  # django-axes: refuses locked-out clients first
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"

# Deployment behind a TLS proxy (DEBUG=0 defaults pass `manage.py check --deploy` with no warning; each can be
# turned off from the environment, e.g. for the plain-http docker compose stack on localhost).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", not DEBUG) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks come over plain http from inside the network
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): no inline script anywhere (pages load ES modules from /static/), images
# also from the S3 endpoint's signed URLs, sockets back to this site.
_S3_ORIGIN = env_str("S3_ENDPOINT_URL", "").rstrip("/")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"] + ([_S3_ORIGIN] if _S3_ORIGIN else []),
        "connect-src": ["'self'", "ws:", "wss:"] + ([_S3_ORIGIN] if _S3_ORIGIN else []),
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Brute force (accounts/lockout.py): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one client
# address, that pair is locked out for LOGIN_COOLOFF_MINUTES on /login/, /admin/login/ and /api/auth/token/.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies in front of the server (0: none): the client address is then read from X-Forwarded-For, that
# many hops from the right (lockouts and throttles count per client address).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Two languages, Korean and English (docs/i18n.md). LANGUAGE_CODE is the language of a visitor whose browser
# asks for neither and who has not chosen one with the switcher.
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", dict(LANGUAGES))
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Vocabularies (eras, situations) carry name_ko/name_en; an empty translation falls back to the other one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "ko")
# Datetimes are stored in UTC; TIME_ZONE is the zone pages show them in when the browser has not told its own.
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))  # collectstatic's output (DEBUG=0)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Storage: local folder by default; S3-compatible (MinIO, AWS) when S3_BUCKET is set.
S3_BUCKET = env_str("S3_BUCKET", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production (DEBUG=0): hashed, compressed copies made by collectstatic (the image runs it); whitenoise serves
    # them with a year of caching. DEBUG: the app folders themselves, no collectstatic needed.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MAX_AGE = env_int("STATIC_MAX_AGE", 3600)  # unhashed names; hashed ones are cached for a year
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "config.storage.MediaS3Storage",  # image types only, never the client's
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", ""),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", ""),
            "region_name": env_str("S3_REGION", "us-east-1"),
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

# Real-time and background work.
REDIS_URL = env_str("REDIS_URL", "")
# CHANNEL_LAYER=pubsub selects channels-redis's Pub/Sub layer: one publish per group send instead of one queued
# message per member: a group send to 50 members is ~10x faster (docs/hint-protocol.md, bench/ws_fanout.py).
CHANNEL_LAYER = env_choice("CHANNEL_LAYER", "core", ("core", "pubsub"))
if REDIS_URL:
    # redis-py 8 defaults socket_timeout to 5 s, which aborts channels-redis's blocking BZPOPMIN (also 5 s)
    # and kills every idle consumer (django/channels_redis#422): give reads a timeout longer than the pop.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
            if CHANNEL_LAYER == "pubsub"
            else "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The cache holds the API's throttle counts: in Redis when there is one, so that every server process counts a
# client together (a per-process count would let N processes allow N times the rate); embedded, one process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "findcolor",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Hint rooms (docs/hint-protocol.md). ROOM_PREVIEW_BACKEND: "" = "inprocess", or "jobs" when JOB_BACKEND=celery;
# "off" disables live previews.
ROOM_PREVIEW_BACKEND = env_str("ROOM_PREVIEW_BACKEND", "")
ROOM_PREVIEW_DEBOUNCE_MS = env_int("ROOM_PREVIEW_DEBOUNCE_MS", 150)
ROOM_RATE_CAPACITY = env_int("ROOM_RATE_CAPACITY", 30)  # token bucket per connection: burst ...
ROOM_RATE_PER_SECOND = env_int("ROOM_RATE_PER_SECOND", 15)  # ... and sustained frames per second
ROOM_MAX_FRAME_BYTES = env_int("ROOM_MAX_FRAME_BYTES", 64 * 1024)
ROOM_HEARTBEAT_SECONDS = env_int("ROOM_HEARTBEAT_SECONDS", 15)
ROOM_PRESENCE_TTL_SECONDS = env_int("ROOM_PRESENCE_TTL_SECONDS", 45)
ROOM_CURSOR_INTERVAL_MS = env_int("ROOM_CURSOR_INTERVAL_MS", 50)  # at most one cursor frame per interval
# Close a connection after this many refused frames in a row (a flood).
ROOM_FLOOD_CLOSE_AFTER = env_int("ROOM_FLOOD_CLOSE_AFTER", 500)

# "celery" when a broker is configured, else "inprocess" (a thread pool inside the server process).
JOB_BACKEND = env_choice(
    "JOB_BACKEND", "celery" if REDIS_URL else "inprocess", ("celery", "inprocess", "sync")
)
JOB_WORKERS = env_int("JOB_WORKERS", 1)
# Colorization runs (docs/job-lifecycle.md): a running run whose heartbeat is older than RUN_STALE_SECONDS is
# taken over by another worker (at most RUN_MAX_ATTEMPTS tries); COLORIZER names a factory other than
# ml.get_colorizer (dotted path); COLORIZE_DEVICE: auto (CUDA when torch sees a GPU), cpu or cuda.
RUN_STALE_SECONDS = env_int("RUN_STALE_SECONDS", 60)
RUN_MAX_ATTEMPTS = env_int("RUN_MAX_ATTEMPTS", 3)
COLORIZER = env_str("COLORIZER", "")
COLORIZE_DEVICE = env_str("COLORIZE_DEVICE", "auto")
# A serving process (config/asgi.py) loads the model in a background thread as it starts,
# so the first suggestion or preview does not wait for it (colorize.services.model.warm_in_background). Off by
# default under pytest (tests choose their own colorizer); on otherwise.
MODEL_WARM_ON_START = env_bool("MODEL_WARM_ON_START", "pytest" not in sys.modules)
# The damage detector / inpainter (docs/repair.md): REPAIRER names a factory other than ml.repair.get_repairer.
REPAIRER = env_str("REPAIRER", "")
# Embedded mode: re-enqueue queued runs (and runs whose worker died) when the server starts.
RESUME_RUNS_ON_START = env_bool("RESUME_RUNS_ON_START", True)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_DEFAULT_QUEUE = "findcolor"

# C2PA (docs/provenance.md): image exports are signed when both paths are set: C2PA_SIGN_CERT is a PEM file with the
# signing certificate followed by its issuing chain (not a lone self-signed certificate: the library refuses it),
# C2PA_SIGN_KEY the signer's PEM private key; C2PA_SIGN_ALG one of es256, es384, es512, ps256, ps384, ps512, ed25519.
# Unset: exports are unsigned (their XMP and JSON sidecar say so).
# A TrueType font with Hangul for the marks written on exported images ("AI-colorized · AI 채색", the DRAFT band).
# Empty (the default) or a missing file: a font that fontconfig lists for Korean (`fc-list :lang=ko`: Noto CJK,
# Nanum, ...); with none, the marks are written in English only.
EXPORT_FONT = env_str("EXPORT_FONT", "")
C2PA_SIGN_CERT = env_str("C2PA_SIGN_CERT", "")
C2PA_SIGN_KEY = env_str("C2PA_SIGN_KEY", "")
C2PA_SIGN_ALG = env_choice(
    "C2PA_SIGN_ALG", "es256", ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519"), lower=True
)

# Archive limits (bytes and pixels) guard the server against oversized files and decompression bombs.
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 250_000_000)
# ZIP uploads (docs/uploads.md): the largest archive accepted, the bytes its members may inflate to in all
# (counted as they are produced, not as declared), the ratio one member may inflate by, the member count, and
# up to which size (and member count) an archive is ingested inside the request; larger ones become a
# background batch answered 202 with a status URL.
MAX_ZIP_BYTES = env_int("MAX_ZIP_BYTES", 10 * MAX_UPLOAD_BYTES)
ZIP_MAX_INFLATED_BYTES = env_int("ZIP_MAX_INFLATED_BYTES", 4 * MAX_ZIP_BYTES)
ZIP_MAX_RATIO = env_int("ZIP_MAX_RATIO", 1_000)
ZIP_MAX_ENTRIES = env_int("ZIP_MAX_ENTRIES", 10_000)
ZIP_SYNC_MAX_BYTES = env_int("ZIP_SYNC_MAX_BYTES", 20 * 1024 * 1024)
ZIP_SYNC_MAX_MEMBERS = env_int("ZIP_SYNC_MAX_MEMBERS", 50)
# A background ZIP batch silent (no member reported) for this long is taken as lost and re-enqueued.
BATCH_STALE_SECONDS = env_int("BATCH_STALE_SECONDS", 600)

# IIIF Image API (docs/interop.md): pyramidal TIFFs made once per image (content-addressed, safe to delete: they
# are made again), the bytes of encoded tiles kept in each server process, and the most pixels one answer may have.
IIIF_CACHE_DIR = Path(env_str("IIIF_CACHE_DIR", str(VAR_DIR / "iiif")))
IIIF_TILE_CACHE_BYTES = env_int("IIIF_TILE_CACHE_BYTES", 64 * 1024 * 1024)
IIIF_MAX_AREA = env_int("IIIF_MAX_AREA", 100_000_000)
# Seconds an allowed IIIF access decision is reused per (image, reader) in one process (0: never); any change to
# access empties it in the process that made the change (docs/interop.md).
IIIF_ACCESS_CACHE_SECONDS = env_int("IIIF_ACCESS_CACHE_SECONDS", 5)
# Threads of each server process that render IIIF answers (libvips releases the GIL while it works).
IIIF_RENDER_THREADS = max(1, env_int("IIIF_RENDER_THREADS", 4))
# Anonymous tiles of public images whose access is already decided answered in front of Django
# (colorize/iiif_fast.py); off: every tile takes Django's request path.
IIIF_FAST_PATH = env_bool("IIIF_FAST_PATH", True)
# BagIt export of a collection (docs/interop.md): the bag-info.txt Source-Organization, and how long making the
# bag's manifests may take. IIIF import: hosts (host:port, comma-separated) allowed although they resolve to
# loopback, private or link-local addresses (a local repository; tests), and the bounds on what it fetches.
BAGIT_SOURCE_ORGANIZATION = env_str("BAGIT_SOURCE_ORGANIZATION", "Find Color")
BAGIT_MAKE_TIMEOUT = env_int("BAGIT_MAKE_TIMEOUT", 6 * 3600)
IIIF_IMPORT_ALLOWED_HOSTS = env_list("IIIF_IMPORT_ALLOWED_HOSTS", [])
IIIF_IMPORT_MAX_MANIFEST_BYTES = env_int("IIIF_IMPORT_MAX_MANIFEST_BYTES", 5 * 1024 * 1024)
IIIF_IMPORT_MAX_CANVASES = env_int("IIIF_IMPORT_MAX_CANVASES", 2000)
IIIF_IMPORT_TIMEOUT_SECONDS = env_int("IIIF_IMPORT_TIMEOUT_SECONDS", 30)

# Periodic jobs (config/periodic.py): job path -> interval in seconds. Celery beat sends them in production
# (the docker-compose `beat` service); the embedded mode runs them on a timer in the serving process, after
# the EMBEDDED_START_JOBS. Add an entry here to schedule more periodic work.
# The sweep of lost jobs (colorize/services/sweep.py): queued runs whose message may be lost (enqueued more
# than SWEEP_QUEUED_AFTER_SECONDS ago, e.g. Redis was down) and photos whose derivatives are still pending after
# SWEEP_PENDING_AFTER_SECONDS are enqueued again, every SWEEP_INTERVAL_SECONDS.
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 60)
SWEEP_QUEUED_AFTER_SECONDS = env_int("SWEEP_QUEUED_AFTER_SECONDS", 120)
SWEEP_PENDING_AFTER_SECONDS = env_int("SWEEP_PENDING_AFTER_SECONDS", 600)
PERIODIC_JOBS = {
    "colorize.services.runs.recovery.sweep_stale_runs": float(RUN_STALE_SECONDS),
    "archive.apps.recover_batches": float(BATCH_STALE_SECONDS),
    "colorize.services.interop.recover_interop_jobs": float(BATCH_STALE_SECONDS),
    "colorize.services.sweep.sweep": float(SWEEP_INTERVAL_SECONDS),
    # adaptations checked with another model (a new checkpoint) or abandoned builds (docs/adaptation.md)
    "colorize.services.adaptation.rebuild_stale": float(BATCH_STALE_SECONDS),
}
EMBEDDED_START_JOBS = ["archive.apps.recover_batches"] + (
    ["colorize.services.runs.recovery.recover_runs"] if RESUME_RUNS_ON_START else []
)
CELERY_BEAT_SCHEDULE = {
    path: {"task": "findcolor.run_job", "schedule": seconds, "args": (path, [], {})}
    for path, seconds in PERIODIC_JOBS.items()
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 1000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # Per client address, on top of the axes lockout; counted in the cache (Redis when REDIS_URL is set).
    "DEFAULT_THROTTLE_RATES": {"auth_token": env_str("AUTH_TOKEN_THROTTLE_RATE", "20/minute")},
    "NUM_PROXIES": PROXY_COUNT or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Find Color API",
    "DESCRIPTION": "Archive, collaborative colour hints, colorization runs, versions, review and export.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A photo's status is one enum wherever it appears (a photo, the answer to a review decision).
    "ENUM_NAME_OVERRIDES": {
        "PhotoStatusEnum": "archive.models.PhotoStatus",
        "JobStatusEnum": "archive.models.JobStatus",
        "HintStatusEnum": "colorize.models.hints.HintStatus",
    },
    # Error answers on every operation, hint PATCH requiring `revision` (config/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
