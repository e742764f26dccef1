#!/usr/bin/env bash
# The web service: daphne serving HTTP and WebSockets (config.asgi). Background jobs go to Celery
# (REDIS_URL), so several web and worker containers can run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m daphne \
    --bind "${HOST:-0.0.0.0}" --port "${PORT:-8000}" \
    --proxy-headers \
    --access-log - \
    config.asgi:application
