#!/usr/bin/env bash
# A Celery worker (scale with `docker compose up --scale worker=N`). Needs REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REDIS_URL:-}" ]; then
    echo "worker: REDIS_URL is not set (the Celery broker)" >&2
    exit 2
fi
exec python -m celery -A config worker \
    --loglevel "${LOG_LEVEL:-INFO}" \
    --queues findcolor \
    --concurrency "${WORKER_CONCURRENCY:-1}" \
    --hostname "worker@%h"
