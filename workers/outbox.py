"""Sending what the outbox holds."""
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification
from .notifications import KINDS

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def notification_render(n: Notification) -> tuple[str, str]:
    kind = KINDS[n.kind]
    with translation.override(n.language):
        context = {**n.context, "site_url": settings.SITE_URL}
        subject = str(kind.subject) % {k: v for k, v in n.context.items() if isinstance(v, str | int)}
        body = render_to_string(kind.template, context)
    return subject, body


def outbox_send_batch(limit: int = 200) -> int:
    """Send up to `limit` pending messages; rows are locked so two relays never send one twice."""
    sent = 0
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .order_by("id")[:limit]
        )
        if not batch:
            return 0
        connection = get_connection()
        for n in batch:
            try:
                subject, body = notification_render(n)
                EmailMessage(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, to=[n.email],
                             connection=connection).send()
                n.sent_at = timezone.now()
                sent += 1
            except Exception as exc:  # one bad message must not block the others
                log.exception("notification %s failed", n.pk)
                n.attempts += 1
                n.last_error = str(exc)[:2000]
            else:
                n.attempts += 1
        Notification.objects.bulk_update(batch, ["sent_at", "attempts", "last_error"])
    return sent


def outbox_relay_all() -> int:
    total = 0
    while True:
        sent = outbox_send_batch()
        total += sent
        if sent == 0:
            return total
