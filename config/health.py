"""`GET /healthz`: liveness and readiness for load balancers and the docker-compose health checks.

Each component is reported on its own: the database, the channel layer and the Celery broker (Redis, when
REDIS_URL is set), the media storage, and the Celery workers (when JOB_BACKEND=celery). The answer is 503 when
a required component is down: the database, the storage and Redis. Workers are reported but not required (a web
server without workers still serves; the compose worker service has its own health check); `?require=worker`
makes them required too. Reveals no data, only "ok" or the failure's exception class.
"""

import asyncio
import uuid

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

CHECK_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _storage() -> None:
    from django.core.files.storage import default_storage

    default_storage.exists(f"healthz/{uuid.uuid4().hex}")  # any answer (True/False) means it is reachable


def _channel_layer() -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz"})
        await layer.receive(channel)

    async def bounded():
        await asyncio.wait_for(round_trip(), CHECK_TIMEOUT_SECONDS)

    asyncio.run(bounded())


def _broker() -> None:
    from config.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT_SECONDS)


def _workers() -> None:
    from config.celery import app

    if not app.control.ping(timeout=CHECK_TIMEOUT_SECONDS):
        raise RuntimeError("no worker answered")


def _run(check) -> str:
    try:
        check()
    except Exception as exc:  # any failure means "not ready"
        return f"error: {type(exc).__name__}"
    return "ok"


def healthz(request):
    checks = {"database": _run(_database), "storage": _run(_storage)}
    required = ["database", "storage"]
    if settings.REDIS_URL:
        checks["channel_layer"] = _run(_channel_layer)
        checks["broker"] = _run(_broker)
        required += ["channel_layer", "broker"]
    if settings.JOB_BACKEND == "celery":
        checks["workers"] = _run(_workers)
        if request.GET.get("require") == "worker":
            required.append("workers")
    ok = all(checks[name] == "ok" for name in required)
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "job_backend": settings.JOB_BACKEND, **checks},
        status=200 if ok else 503,
    )
