"""Use cases of the notifications page: marking what one has read."""

from django.utils import timezone

from workers.models import Notification


def notification_read(*, actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (DoesNotExist for anyone else's)."""
    n = Notification.objects.get(pk=notification_id, recipient=actor)
    if n.read_at is None:
        n.read_at = timezone.now()
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=n.read_at)
    return n


def notifications_read_all(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
