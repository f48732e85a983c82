from celery import shared_task

from grants.calls.services import calls_open_close as _calls_open_close


@shared_task(name="grants.calls.tasks.calls_open_close")
def calls_open_close() -> list[int]:
    return list(_calls_open_close())
