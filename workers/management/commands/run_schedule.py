"""Run the Celery beat schedule in this process: what `celery beat` + a worker do in
production, for the embedded default (no broker), so calls still open and close on time and
reminders, digests and the outbox relay still run."""

import logging
import signal
import time

from celery.schedules import maybe_schedule
from django.core.management.base import BaseCommand
from django.utils import timezone

from workers.celery import app

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic tasks of the beat schedule in-process (for the embedded default)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every task once and stop")
        parser.add_argument("--tick", type=float, default=5.0, help="seconds between checks")

    def handle(self, *args, once=False, tick=5.0, **options):
        app.loader.import_default_modules()  # registers every app's tasks.py
        entries = {
            name: (spec["task"], maybe_schedule(spec["schedule"], app=app))
            for name, spec in app.conf.beat_schedule.items()
        }
        started = None if once else timezone.now()  # --once runs everything now; otherwise wait for each slot
        last_run = dict.fromkeys(entries, started)
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            for name, (task_name, schedule) in entries.items():
                due = last_run[name] is None or schedule.is_due(last_run[name]).is_due
                if not due:
                    continue
                last_run[name] = timezone.now()
                try:
                    app.tasks[task_name].apply(throw=True)
                except Exception:  # one failing task must not stop the schedule
                    log.exception("scheduled task %s failed", task_name)
            if once:
                return
            time.sleep(tick)
