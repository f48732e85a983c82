"""Reads of the notifications page, its API and the header's unread count. A person sees only
the notifications addressed to them."""

from django.utils.translation import get_language

from core.pagination import ListPaginator
from workers.models import Notification
from workers.rendering import notification_subject


def notifications_of(user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notifications_unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_page(user, *, unread_page=None, earlier_page=None, size: int = 50) -> dict:
    """A page of the unread ones (newest first) and a page of the read ones, each with its subject
    in the reader's language: four queries (two counts, two pages) whatever the numbers."""
    language = get_language()
    unread = ListPaginator(notifications_of(user).filter(read_at__isnull=True), size).get_page(unread_page)
    earlier = ListPaginator(notifications_of(user).filter(read_at__isnull=False), size).get_page(earlier_page)
    for n in [*unread, *earlier]:
        n.subject = notification_subject(n, language)
        n.path = n.context.get("path", "") if isinstance(n.context, dict) else ""
    return {"unread": unread, "earlier": earlier}
