"""The Celery app and its static beat schedule. Tasks live in each app's tasks.py.

Nothing is scheduled with a long countdown or eta: reminders are found by the periodic sweep
from the data itself (a delayed task would live in Redis for days and die with it)."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hromada")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Catch-up for the outbox: anything a commit hook could not hand to the broker.
    "outbox-relay": {"task": "workers.tasks.outbox_relay", "schedule": 30.0},
    "calls-open-close": {"task": "grants.tasks.calls_open_close", "schedule": crontab(minute="*")},
    # Reminders due now (deadlines, reviews, reports, unpaid tranches); a repeat writes nothing.
    "reminders-sweep": {"task": "workers.tasks.reminders_sweep", "schedule": crontab(minute=5)},
    # Managers' summaries and the day's digest e-mails, in the morning of the site's time zone.
    "digest-daily": {"task": "workers.tasks.digest_daily", "schedule": crontab(hour=7, minute=0)},
    # Expired sessions are deleted at night (they are anonymous already; this keeps the table small).
    "sessions-clear-expired": {"task": "accounts.tasks.sessions_clear_expired", "schedule": crontab(hour=3, minute=30)},
}
