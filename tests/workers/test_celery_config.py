"""The Celery guarantees the outbox and the reminders rely on."""

from celery.schedules import crontab
from django.conf import settings

from workers.celery import app


def test_json_only_late_acks_requeue_on_worker_lost_prefetch_one():
    conf = app.conf
    assert conf.task_serializer == conf.result_serializer == "json" and list(conf.accept_content) == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1


def test_every_task_has_a_time_limit_below_the_visibility_timeout():
    app.loader.import_default_modules()
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"workers.tasks.outbox_relay", "workers.tasks.reminders_sweep", "workers.tasks.digest_daily"} <= set(ours)
    for name, task in ours.items():
        limit = task.time_limit or app.conf.task_time_limit
        assert limit and limit < visibility, name


def test_static_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert schedule["outbox-relay"]["schedule"] == 30.0
    assert isinstance(schedule["reminders-sweep"]["schedule"], crontab)
    assert isinstance(schedule["digest-daily"]["schedule"], crontab)
    assert all("options" not in entry or "countdown" not in entry["options"] for entry in schedule.values())


def test_without_a_broker_tasks_run_in_process():
    assert (not settings.CELERY_BROKER_URL) == settings.CELERY_TASK_ALWAYS_EAGER
