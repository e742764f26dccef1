"""The one Celery task: run a job by dotted path. Job functions are idempotent; acks_late + retries."""

from celery import shared_task

from config.jobs import RUN_JOB_TASK, run_job


@shared_task(
    name=RUN_JOB_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def run_job_task(self, path: str, args: list, kwargs: dict):
    return run_job(path, args, kwargs)
