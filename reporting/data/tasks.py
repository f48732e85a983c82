"""Background work of exports. A task takes ids (JSON arguments), reloads what it needs and calls
the service, which is idempotent, so a redelivered task (acks_late) does no harm."""

from celery import shared_task

from reporting.data import jobs


@shared_task(name="reporting.data.tasks.export_run")
def export_run_task(job_id: int) -> str:
    return jobs.export_job_run(job_id=int(job_id)).state


@shared_task(name="reporting.data.tasks.export_jobs_requeue_stale", soft_time_limit=240, time_limit=300)
def export_jobs_requeue_stale() -> int:
    return jobs.export_jobs_requeue_stale()


@shared_task(name="reporting.data.tasks.export_files_expire", soft_time_limit=600, time_limit=660)
def export_files_expire() -> int:
    return jobs.export_files_expire()
