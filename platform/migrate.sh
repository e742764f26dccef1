#!/usr/bin/env bash
# One-shot: apply migrations (and, with LOAD_DEMO=1, load the demo collection), then exit.
set -euo pipefail
cd "$(dirname "$0")/.."
python manage.py migrate --noinput
python manage.py check --deploy --fail-level ERROR
if [ "${LOAD_DEMO:-0}" = "1" ]; then
    python manage.py load_demo
fi
