"""Reads of the notifications page, its API and the header's unread count. A person sees only
the notifications addressed to them."""

from django.utils.translation import get_language

from workers.models import Notification
from workers.rendering import notification_subject


def notifications_of(user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notifications_unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_page(user, *, unread_limit: int = 100, earlier_limit: int = 30) -> dict:
    """Unread ones (newest first) and the latest read ones, each with its subject in the reader's
    language: two queries whatever the number of notifications."""
    language = get_language()
    unread = list(notifications_of(user).filter(read_at__isnull=True)[:unread_limit])
    earlier = list(notifications_of(user).filter(read_at__isnull=False)[:earlier_limit])
    for n in unread + earlier:
        n.subject = notification_subject(n, language)
        n.path = n.context.get("path", "") if isinstance(n.context, dict) else ""
    return {"unread": unread, "earlier": earlier}
