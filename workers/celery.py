"""The Celery app and its static beat schedule. Tasks live in each app's tasks.py."""
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
}
