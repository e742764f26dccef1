"""Colorization runs, by stage (the job lifecycle is documented in docs/job-lifecycle.md):

- request: `do_create_run` / `do_create_batch` store queued Runs and enqueue `execute.execute_run(run_id)` after
  the commit; `do_cancel_run`.
- execute: `execute_run` claims the run with one conditional UPDATE (queued -> running, or a running run whose
  heartbeat is stale because its worker died), so two deliveries of the same job never both work on it; a
  heartbeat thread keeps the claim fresh while the model runs.
- record: the result files are written under names unique to the claim, then the Version is created in one
  transaction that re-checks the claim; `Version.run` is a OneToOne, so the database itself refuses a second
  version for the same run.
- recovery: `recover_runs` re-enqueues queued runs whose message may be lost and running runs whose worker
  died (at server start in the embedded mode, at worker start with Celery, or by `manage.py recover_runs`).
- serialize: `run_json`, the JSON form of a run.

Everything callers use is re-exported here.
"""

from colorize.serializers import run_json
from colorize.services.runs.common import JOB, broadcast
from colorize.services.runs.execute import _claim, execute_run
from colorize.services.runs.record import RunOutcome, hint_chroma_errors, record_version
from colorize.services.runs.recovery import _take_back, recover_runs, sweep_stale_runs
from colorize.services.runs.request import (
    check_run_params,
    do_cancel_run,
    do_create_batch,
    do_create_run,
)

__all__ = [
    "JOB",
    "RunOutcome",
    "_claim",
    "_take_back",
    "broadcast",
    "check_run_params",
    "do_cancel_run",
    "do_create_batch",
    "do_create_run",
    "execute_run",
    "hint_chroma_errors",
    "record_version",
    "recover_runs",
    "sweep_stale_runs",
    "run_json",
]
