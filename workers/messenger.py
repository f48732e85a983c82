"""The one messenger: every notification is an outbox row written inside the caller's
transaction; a relay sends it after commit. A broker outage delays messages, never loses them."""
import logging

from django.db import transaction

from .models import Notification
from .notifications import KINDS

log = logging.getLogger(__name__)


def notify_email(*, kind: str, email: str, obj, key: str, context: dict, language: str = "en", recipient=None) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    Notification.objects.bulk_create(
        [Notification(kind=kind, email=email.lower(), recipient=recipient, language=language or "en",
                      object_type=obj._meta.label_lower, object_id=str(obj.pk), key=key, context=context)],
        ignore_conflicts=True,
    )
    transaction.on_commit(outbox_kick)


def notify_user(*, kind: str, user, obj, key: str, context: dict) -> None:
    notify_email(kind=kind, email=user.email, obj=obj, key=key, context=context, language=user.language, recipient=user)


# How long a commit hook (inside a user's request) may wait on a dead or silent broker.
KICK_TIMEOUT = 1.0


def outbox_kick() -> None:
    """Ask a worker to relay the outbox now; if the broker is down the beat sweep will."""
    from .celery import app
    from .tasks import outbox_relay

    try:
        # One attempt on its own connection with short timeouts. The pooled default retries for
        # seconds on a refused connection and waits forever on a broker that accepts but never
        # answers, all inside the user's request.
        with app.connection_for_write(connect_timeout=KICK_TIMEOUT, transport_options={
                "max_retries": 0, "socket_connect_timeout": KICK_TIMEOUT, "socket_timeout": KICK_TIMEOUT}) as conn:
            outbox_relay.apply_async(producer=app.amqp.Producer(conn), retry=False)
    except Exception:  # broker unreachable: the row is safe, the periodic relay picks it up
        log.warning("outbox relay could not be queued; the periodic relay will send it", exc_info=True)
