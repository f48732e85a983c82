"""Background work of exports. A task takes ids (JSON arguments), reloads what it needs and calls
the service, which is idempotent, so a redelivered task (acks_late) does no harm."""

from celery import shared_task

from reporting.data import jobs


@shared_task(name="reporting.data.tasks.export_run")
def export_run_task(job_id: int) -> str:
    return jobs.export_job_run(job_id=int(job_id)).state
