"""Background work of donor reports. A task takes ids (JSON arguments), reloads what it needs and
calls the service, which is idempotent, so a redelivered task (acks_late) does no harm."""

from celery import shared_task

from reporting.donor import services


@shared_task(name="reporting.donor.tasks.donor_report_generate")
def donor_report_generate_task(report_id: int) -> str:
    return services.donor_report_generate(report_id=int(report_id)).state


@shared_task(name="reporting.donor.tasks.donor_reports_requeue_stale", soft_time_limit=240, time_limit=300)
def donor_reports_requeue_stale() -> int:
    return services.donor_reports_requeue_stale()


@shared_task(name="reporting.donor.tasks.donor_report_files_expire", soft_time_limit=600, time_limit=660)
def donor_report_files_expire() -> int:
    return services.donor_report_files_expire()
