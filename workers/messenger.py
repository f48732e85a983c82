"""The one messenger: every notification is an outbox row written inside the caller's
transaction; a relay sends it after commit. A broker outage delays messages, never loses them.

The row is unique per kind, object, recipient and key, so writing it again is harmless. How it
reaches the person follows their preference for the kind (at once, in the daily digest, or only
in the app), decided here for every sender."""

import logging

from django.db import transaction

from workers.models import Delivery, Notification, NotificationPreference
from workers.notifications import KINDS
from workers.outbox import outbox_kick

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
        [
            Notification(
                kind=kind,
                email=email.lower(),
                recipient=recipient,
                language=language or "en",
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                key=str(key),
                context=context,
                delivery=delivery,
            )
        ],
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


def notify_users(*, kind: str, users, obj, key: str, context: dict) -> int:
    """`notify_user` for many people at once (everyone drafting for a call, say): their
    preferences in one query, the rows in one insert. Returns how many people were written to."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = list(users)
    modes: dict[int, str] = {}
    if KINDS[kind].configurable:
        modes = dict(NotificationPreference.objects.filter(user__in=people, kind=kind).values_list("user_id", "mode"))
    rows = [
        Notification(
            kind=kind,
            email=user.email.lower(),
            recipient=user,
            language=user.language or "en",
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            key=str(key),
            context=context,
            delivery=modes.get(user.pk, Delivery.IMMEDIATE),
        )
        for user in people
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.delivery == Delivery.IMMEDIATE for row in rows):
        _kick_on_commit()
    return len(rows)
