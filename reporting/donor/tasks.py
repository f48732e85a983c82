"""Background work of donor reports. A task takes ids (JSON arguments), reloads what it needs and
calls the service, which is idempotent, so a redelivered task (acks_late) does no harm."""

from celery import shared_task

from reporting.donor import services


@shared_task(name="reporting.donor.tasks.donor_report_generate")
def donor_report_generate_task(report_id: int) -> str:
    return services.donor_report_generate(report_id=int(report_id)).state
