"""Sending what the outbox holds: the relay.

Several relays run at once (worker processes, the beat's catch-up, commit hooks). Each one
  1. claims a batch in a short transaction: SELECT … FOR UPDATE SKIP LOCKED picks rows no other
     relay is claiming, and the same transaction moves them a lease ahead (`available_at`) and
     counts the attempt, so no other relay takes them once it commits;
  2. sends them on one SMTP connection, holding no row lock while the mail server answers
     (two round trips a message when the server offers PIPELINING: workers/smtp.py);
  3. confirms each message (`sent_at`) as soon as the server has accepted it — on PostgreSQL
     through a companion thread with its own connection, so sending never waits for the
     database and the confirmation follows the server's "250" by a few milliseconds.
A failed message goes back with a back-off. Leases and back-offs are counted on the database's
clock (`Now()` in the query, see core/clock.py), so a relay whose own clock is off neither takes
rows early nor leaves them waiting. A relay killed between 2 and 3 leaves its rows
claimed: after the lease they are claimed again, so nothing is lost; the only messages that can
go out twice are the ones the server accepted in the last instant before the kill, before their
confirmation was written (in practice none or one). Every message carries a Message-ID derived
from its row, so even those are recognisable as duplicates by the receiving side.
"""

import logging
import math
import queue
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db import connections, transaction
from django.db.models import F
from django.db.models.functions import Now

from workers.celery import app
from workers.mail import email_compose, message_id_domain
from workers.models import Delivery, Notification
from workers.rendering import notification_email, notification_render
from workers.smtp import message_send

log = logging.getLogger(__name__)

__all__ = ["notification_render", "outbox_send_batch", "outbox_relay_all", "outbox_pending"]

MAX_ATTEMPTS = 8
BATCH = 200
# Longer than a relay task may live (its hard time limit), so a live relay never loses its claim.
LEASE = timedelta(minutes=10)
# How long one relay task sends before it hands the rest to a fresh task (time limits, fairness).
RELAY_SECONDS = 60.0


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def outbox_pending():
    """Rows the relay should send now."""
    return Notification.objects.filter(
        sent_at__isnull=True, delivery=Delivery.IMMEDIATE, attempts__lt=MAX_ATTEMPTS, available_at__lte=Now()
    )


def outbox_claim(limit: int = BATCH) -> list[Notification]:
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                sent_at__isnull=True, delivery=Delivery.IMMEDIATE, attempts__lt=MAX_ATTEMPTS, available_at__lte=Now()
            )
            .order_by("available_at", "id")[:limit]
        )
        if batch:
            Notification.objects.filter(pk__in=[n.pk for n in batch]).update(
                available_at=Now() + LEASE, attempts=F("attempts") + 1
            )
    for n in batch:
        n.attempts += 1
    return batch


def _message_id_domain() -> str:
    return message_id_domain()


def recipients_time_zones(batch: list[Notification]) -> dict[int, str]:
    """Each recipient's time zone, in one query for the batch (by model label: workers sits below
    accounts); an empty one is the site's."""
    ids = {n.recipient_id for n in batch if n.recipient_id}
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).exclude(time_zone="").values_list("pk", "time_zone"))


def notification_message(n: Notification, mail_connection, domain: str, time_zone: str | None = None) -> EmailMessage:
    email = notification_email(n, time_zone=time_zone)
    return email_compose(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + email.subject,
        text=email.text,
        html=email.html,
        to=n.email,
        language=n.language,
        message_id=f"<notification-{n.pk}@{domain}>",
        unsubscribe=email.unsubscribe,
        connection=mail_connection,
    )


def _confirm(ids: list[int]) -> None:
    Notification.objects.filter(pk__in=ids).update(sent_at=Now(), last_error="")


def _release(n: Notification, exc: Exception) -> None:
    Notification.objects.filter(pk=n.pk).update(
        available_at=Now() + backoff(n.attempts), last_error=f"{type(exc).__name__}: {exc}"[:2000]
    )


class Confirmations:
    """Marks messages sent as the server accepts them. On PostgreSQL (outside a transaction) a
    companion thread writes the marks on its own connection, many at a time, committing without
    waiting for the disk (synchronous_commit off: a mark lost to a database crash can only mean a
    message sent again, never one lost); elsewhere each mark is written at once."""

    def __init__(self):
        self.threaded = db_connection.vendor == "postgresql" and not db_connection.in_atomic_block
        if self.threaded:
            self.queue = queue.SimpleQueue()
            self.thread = threading.Thread(target=self._run, name="outbox-confirmations", daemon=True)
            self.thread.start()

    def add(self, pk: int) -> None:
        if self.threaded:
            self.queue.put(pk)
        else:
            _confirm([pk])

    def close(self) -> None:
        """Return once every mark is written."""
        if self.threaded:
            self.queue.put(None)
            self.thread.join()

    def _run(self) -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            done = False
            while not done:
                ids = [self.queue.get()]
                while True:
                    try:
                        ids.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                done = None in ids
                ids = [pk for pk in ids if pk is not None]
                if ids:
                    _confirm(ids)
        except Exception:  # the rows stay claimed: sent again after the lease, never lost
            log.exception("could not mark sent messages")
        finally:
            connections.close_all()  # this thread's connections only


def outbox_send_batch(limit: int = BATCH) -> tuple[int, int]:
    """Claim and send up to `limit` messages. Returns (claimed, sent)."""
    batch = outbox_claim(limit)
    if not batch:
        return 0, 0
    sent = 0
    domain = _message_id_domain()
    mail = get_connection()
    try:
        mail.open()
    except Exception as exc:  # the mail server is down: every message waits for a later try
        log.warning("mail server unreachable; %s messages wait", len(batch), exc_info=True)
        for n in batch:
            _release(n, exc)
        return len(batch), 0
    confirmations = Confirmations()
    zones = recipients_time_zones(batch)
    try:
        for n in batch:
            try:
                message_send(mail, notification_message(n, mail, domain, zones.get(n.recipient_id or 0)))
            except Exception as exc:  # one bad message must not block the others
                log.exception("notification %s failed", n.pk)
                _release(n, exc)
                try:  # a broken connection is replaced for the rest of the batch
                    mail.close()
                    mail.open()
                except Exception:
                    log.warning("could not reopen the mail connection", exc_info=True)
                continue
            confirmations.add(n.pk)
            sent += 1
    finally:
        confirmations.close()
        try:
            mail.close()
        except Exception:
            log.warning("closing the mail connection failed", exc_info=True)
    return len(batch), sent


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def outbox_relay_all(seconds: float = RELAY_SECONDS) -> int:
    """Send batches until the outbox is empty or `seconds` have passed; then a fresh relay task
    is queued for the rest. Returns the number of messages sent."""
    total = 0
    end = time.monotonic() + seconds
    while True:
        claimed, sent = outbox_send_batch()
        total += sent
        if claimed == 0:
            return total
        if time.monotonic() > end and not _eager():
            outbox_kick()
            return total


RELAY_TASK = "workers.tasks.outbox_relay"
# How long a commit hook (inside a user's request) may wait on a dead or silent broker.
KICK_TIMEOUT = 1.0


def relays_for(rows: int) -> int:
    """How many relays to start for `rows` new messages: one per batch, at most RELAY_PARALLEL."""
    return max(1, min(getattr(settings, "HROMADA_RELAY_PARALLEL", 1), math.ceil(rows / BATCH)))


def outbox_kick(parallel: int = 1) -> bool:
    """Ask workers to relay the outbox now (`parallel` relays, each claiming its own rows); if
    the broker is down the beat's periodic relay will. False when nothing could be queued."""
    try:
        if app.conf.task_always_eager:  # the embedded default: one relay, in this process
            outbox_relay_all()
            return True
        # One attempt on its own connection with short timeouts. The pooled default retries for
        # seconds on a refused connection and waits forever on a broker that accepts but never
        # answers, all inside the user's request.
        with app.connection_for_write(
            connect_timeout=KICK_TIMEOUT,
            transport_options={
                "max_retries": 0,
                "socket_connect_timeout": KICK_TIMEOUT,
                "socket_timeout": KICK_TIMEOUT,
            },
        ) as conn:
            producer = app.amqp.Producer(conn)
            for _ in range(max(1, parallel)):
                # By name: the task module imports this one (workers/tasks.py wraps outbox_relay_all).
                app.send_task(RELAY_TASK, producer=producer, retry=False)
        return True
    except Exception:  # broker unreachable: the row is safe, the periodic relay picks it up
        log.warning("outbox relay could not be queued; the periodic relay will send it", exc_info=True)
        return False
