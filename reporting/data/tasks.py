"""Background work of the reporting part: donor reports and large exports.

Tasks take ids (JSON arguments), reload what they need and call the service, which is
idempotent, so a redelivered task (acks_late) does no harm."""
from celery import shared_task


@shared_task(name="reporting.data.tasks.export_run")
def export_run_task(job_id: int) -> str:
    from reporting.data.exports import export_job_run

    return export_job_run(job_id=int(job_id)).state
