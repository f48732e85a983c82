"""The one messenger: every notification is an outbox row written inside the caller's
transaction; a relay sends it after commit. A broker outage delays messages, never loses them.

The row is unique per kind, object, recipient and key, so writing it again is harmless. How it
reaches the person follows their preference for the kind (at once, in the daily digest, or only
in the app), decided here for every sender."""
import logging
import math

from django.conf import settings
from django.db import transaction

from workers.models import Delivery, Notification, NotificationPreference
from workers.notifications import KINDS

log = logging.getLogger(__name__)


def delivery_for(user, kind: str) -> str:
    if user is None or not KINDS[kind].configurable:
        return Delivery.IMMEDIATE
    mode = NotificationPreference.objects.filter(user=user, kind=kind).values_list("mode", flat=True).first()
    return mode or Delivery.IMMEDIATE


def notify_email(*, kind: str, email: str, obj, key: str, context: dict, language: str = "en", recipient=None) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    delivery = delivery_for(recipient, kind)
    Notification.objects.bulk_create(
        [Notification(kind=kind, email=email.lower(), recipient=recipient, language=language or "en",
                      object_type=obj._meta.label_lower, object_id=str(obj.pk), key=str(key), context=context,
                      delivery=delivery)],
        ignore_conflicts=True,
    )
    if delivery == Delivery.IMMEDIATE:
        _kick_on_commit()


def _kick_on_commit() -> None:
    """One relay per transaction, however many messages it writes."""
    connection = transaction.get_connection()
    # A kick registered at this savepoint level or an enclosing one runs whenever these rows commit.
    current = set(connection.savepoint_ids)
    if not any(func is outbox_kick and sids <= current for sids, func, *_ in connection.run_on_commit):
        transaction.on_commit(outbox_kick)


def notify_user(*, kind: str, user, obj, key: str, context: dict) -> None:
    notify_email(kind=kind, email=user.email, obj=obj, key=key, context=context, language=user.language, recipient=user)


# How long a commit hook (inside a user's request) may wait on a dead or silent broker.
KICK_TIMEOUT = 1.0


def relays_for(rows: int) -> int:
    """How many relays to start for `rows` new messages: one per batch, at most RELAY_PARALLEL."""
    from workers.outbox import BATCH

    return max(1, min(getattr(settings, "HROMADA_RELAY_PARALLEL", 1), math.ceil(rows / BATCH)))


def outbox_kick(parallel: int = 1) -> bool:
    """Ask workers to relay the outbox now (`parallel` relays, each claiming its own rows); if
    the broker is down the beat's periodic relay will. False when nothing could be queued."""
    from workers.celery import app
    from workers.tasks import outbox_relay

    try:
        if app.conf.task_always_eager:  # the embedded default: one relay, in this process
            outbox_relay.apply(throw=True)
            return True
        # One attempt on its own connection with short timeouts. The pooled default retries for
        # seconds on a refused connection and waits forever on a broker that accepts but never
        # answers, all inside the user's request.
        with app.connection_for_write(connect_timeout=KICK_TIMEOUT, transport_options={
                "max_retries": 0, "socket_connect_timeout": KICK_TIMEOUT, "socket_timeout": KICK_TIMEOUT}) as conn:
            producer = app.amqp.Producer(conn)
            for _ in range(max(1, parallel)):
                outbox_relay.apply_async(producer=producer, retry=False)
        return True
    except Exception:  # broker unreachable: the row is safe, the periodic relay picks it up
        log.warning("outbox relay could not be queued; the periodic relay will send it", exc_info=True)
        return False
