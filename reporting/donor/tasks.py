"""Background work of the reporting part: donor reports and large exports.

Tasks take ids (JSON arguments), reload what they need and call the service, which is
idempotent, so a redelivered task (acks_late) does no harm."""
from celery import shared_task


@shared_task(name="reporting.donor.tasks.donor_report_generate")
def donor_report_generate_task(report_id: int) -> str:
    from reporting.donor.services import donor_report_generate

    return donor_report_generate(report_id=int(report_id)).state
