from django.utils import timezone

from accounts.roles import programme_ids

from .models import Call, CallState, Programme


def call_list_public():
    """Calls a visitor may see: published (opening soon) and open ones, soonest deadline first."""
    return (Call.objects.filter(state__in=[CallState.PUBLISHED, CallState.OPEN], deadline__gt=timezone.now())
            .select_related("programme").order_by("deadline"))


def programme_list_for(user, *roles):
    if user.is_superuser:
        return Programme.objects.all()
    return Programme.objects.filter(pk__in=programme_ids(user, *roles))
