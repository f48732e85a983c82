"""Tasks of the accounts part (idempotent, JSON arguments only)."""

from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(name="accounts.tasks.sessions_clear_expired", soft_time_limit=600, time_limit=660)
def sessions_clear_expired() -> int:
    """Expired sessions go at night: nobody can use them, and they name who was logged in.
    Django's own clean-up (what `clearsessions` runs); returns how many there were."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    expired = store.get_model_class().objects.filter(expire_date__lt=timezone.now()).count()
    store.clear_expired()
    return expired
