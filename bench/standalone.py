"""One set-up for the bench scripts that run the platform in their own process: Django on a throw-away var folder
(embedded SQLite, local storage, sync jobs, no Redis), one torch thread. Call `standalone(prefix)` before any
Django import; it returns the var folder."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def standalone(prefix: str) -> str:
    sys.path.insert(0, str(ROOT))
    var = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        FINDCOLOR_VAR_DIR=var,
        DJANGO_SETTINGS_MODULE="config.settings",
        JOB_BACKEND="sync",
        LOG_LEVEL="WARNING",
        OMP_NUM_THREADS="1",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    return var
