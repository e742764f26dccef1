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
- common: `JOB` and `broadcast`; the JSON form of a run is `colorize.serializers.run_json`.

Import the module that does the work (nothing is re-exported here).
"""
