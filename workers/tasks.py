from celery import shared_task

from .outbox import outbox_relay_all


@shared_task(name="workers.tasks.outbox_relay")
def outbox_relay() -> int:
    return outbox_relay_all()
