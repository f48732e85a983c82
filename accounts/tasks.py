"""Tasks of the accounts part (idempotent, JSON arguments only)."""
from celery import shared_task


@shared_task(name="accounts.tasks.sessions_clear_expired", soft_time_limit=600, time_limit=660)
def sessions_clear_expired() -> int:
    """Expired sessions go at night: nobody can use them, and they name who was logged in."""
    from accounts.sessions import SessionStore

    return SessionStore.clear_expired()
