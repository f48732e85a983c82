"""The Celery app and its static beat schedule. Tasks live in each app's tasks.py.

Nothing is scheduled with a long countdown or eta: reminders are found by the periodic sweep
from the data itself (a delayed task would live in Redis for days and die with it)."""

import logging
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hromada")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Sub-domains keep their tasks next to their services; the apps above find only `<app>.tasks`.
app.autodiscover_tasks(["grants.calls", "reporting.donor", "reporting.data"])

app.conf.beat_schedule = {
    # Catch-up for the outbox: anything a commit hook could not hand to the broker.
    "outbox-relay": {"task": "workers.tasks.outbox_relay", "schedule": 30.0},
    "calls-open-close": {"task": "grants.calls.tasks.calls_open_close", "schedule": crontab(minute="*")},
    # Reminders due now (deadlines, reviews, reports, unpaid tranches); a repeat writes nothing.
    "reminders-sweep": {"task": "workers.tasks.reminders_sweep", "schedule": crontab(minute=5)},
    # Managers' summaries and the day's digest e-mails, in the morning of the site's time zone.
    "digest-daily": {"task": "workers.tasks.digest_daily", "schedule": crontab(hour=7, minute=0)},
    # Donor reports and exports stranded in "queued" or "generating" past their lease (the broker
    # lost its queue, a worker died) are queued again; a repeat finds nothing to do.
    "donor-reports-requeue-stale": {
        "task": "reporting.donor.tasks.donor_reports_requeue_stale",
        "schedule": crontab(minute="*/5"),
    },
    "export-jobs-requeue-stale": {
        "task": "reporting.data.tasks.export_jobs_requeue_stale",
        "schedule": crontab(minute="*/5"),
    },
    # Generated files past HROMADA_GENERATED_FILE_RETENTION_DAYS are removed; their rows stay.
    "donor-report-files-expire": {
        "task": "reporting.donor.tasks.donor_report_files_expire",
        "schedule": crontab(hour=4, minute=10),
    },
    "export-files-expire": {"task": "reporting.data.tasks.export_files_expire", "schedule": crontab(hour=4, minute=20)},
    # The audit chain's head, verified and signed with the key kept outside the database (published
    # on /transparency/audit/heads.json); a rewrite after it no longer matches it.
    "audit-head-sign": {"task": "workers.tasks.audit_head_sign", "schedule": crontab(hour=0, minute=30)},
    # Expired sessions are deleted at night (they are anonymous already; this keeps the table small).
    "sessions-clear-expired": {"task": "accounts.tasks.sessions_clear_expired", "schedule": crontab(hour=3, minute=30)},
}

log = logging.getLogger(__name__)

# How long a request may wait on a dead or silent broker when it enqueues work.
ENQUEUE_TIMEOUT = 1.0


def enqueue(task, *args) -> bool:
    """Queue `task(*args)` now; False when the broker cannot be reached (the caller decides)."""
    if app.conf.task_always_eager:
        task.apply(args=args, throw=True)
        return True
    try:
        with app.connection_for_write(
            connect_timeout=ENQUEUE_TIMEOUT,
            transport_options={
                "max_retries": 0,
                "socket_connect_timeout": ENQUEUE_TIMEOUT,
                "socket_timeout": ENQUEUE_TIMEOUT,
            },
        ) as conn:
            task.apply_async(args=args, producer=app.amqp.Producer(conn), retry=False)
        return True
    except Exception:
        log.warning("could not queue %s%r", task.name, args, exc_info=True)
        return False
