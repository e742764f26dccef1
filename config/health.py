"""`GET /healthz`: liveness and readiness for load balancers and the docker-compose health checks."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """200 when the database answers; 503 (with the reason) when it does not. Reveals no data."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "job_backend": settings.JOB_BACKEND, **checks},
        status=200 if ok else 503,
    )
