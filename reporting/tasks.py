"""Background work of the reporting part: donor reports and large exports.

Tasks take ids (JSON arguments), reload what they need and call the service, which is
idempotent, so a redelivered task (acks_late) does no harm."""
import logging

from celery import shared_task

log = logging.getLogger(__name__)

# How long a request may wait on a dead or silent broker when it enqueues work.
ENQUEUE_TIMEOUT = 1.0


def enqueue(task, *args) -> bool:
    """Queue `task(*args)` now; False when the broker cannot be reached (the caller decides)."""
    from workers.celery import app

    if app.conf.task_always_eager:
        task.apply(args=args, throw=True)
        return True
    try:
        with app.connection_for_write(connect_timeout=ENQUEUE_TIMEOUT, transport_options={
                "max_retries": 0, "socket_connect_timeout": ENQUEUE_TIMEOUT, "socket_timeout": ENQUEUE_TIMEOUT}) as conn:
            task.apply_async(args=args, producer=app.amqp.Producer(conn), retry=False)
        return True
    except Exception:
        log.warning("could not queue %s%r", task.name, args, exc_info=True)
        return False


@shared_task(name="reporting.tasks.donor_report_generate")
def donor_report_generate_task(report_id: int) -> str:
    from .donor_reports import donor_report_generate

    return donor_report_generate(report_id=int(report_id)).state


@shared_task(name="reporting.tasks.export_run")
def export_run_task(job_id: int) -> str:
    from .exports import export_job_run

    return export_job_run(job_id=int(job_id)).state
