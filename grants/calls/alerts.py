"""Call alerts: anyone with an account follows calls by programme, country or organisation type
and is told when a matching call opens (the `call_published` message, in their language)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrganisationType
from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from audit.services import audit_record
from core.languages import message_texts
from grants.calls.models import Call, CallAlert, Programme
from workers.messenger import notify_users

MAX_ALERTS = 20  # per person: enough for every country and programme, not a flood


def alert_create(*, actor, programme: Programme | None = None, countries=(), org_types=()) -> CallAlert:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to follow calls."))
    countries, org_types = sorted(set(countries)), sorted(set(org_types))
    errors = {}
    if any(c not in dict(PROGRAMME_COUNTRY_CHOICES) for c in countries):
        errors["countries"] = _("Choose countries from the list.")
    if any(t not in OrganisationType.values for t in org_types):
        errors["org_types"] = _("Choose organisation types from the list.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if CallAlert.objects.filter(user=actor).count() >= MAX_ALERTS:
            raise ValidationError(_("You follow %(n)s kinds of call already; remove one first.") % {"n": MAX_ALERTS})
        alert = CallAlert.objects.create(user=actor, programme=programme, countries=countries, org_types=org_types)
        audit_record(
            actor=actor, action="call_alert_create", obj=alert, data={"countries": countries, "org_types": org_types}
        )
    return alert


def alert_delete(*, actor, alert_id: int) -> None:
    with transaction.atomic():
        alert = CallAlert.objects.filter(pk=alert_id, user=actor).first()
        if alert is None:
            raise PermissionDenied(_("This alert is not yours."))
        audit_record(actor=actor, action="call_alert_delete", obj=alert)
        alert.delete()


def call_alerts_send(call: Call) -> int:
    """Tell everyone whose alert matches the call that it is open; once per person and call."""
    people: dict[int, object] = {}
    for alert in CallAlert.objects.select_related("user").filter(user__is_active=True):
        if alert.matches(call):
            people.setdefault(alert.user_id, alert.user)
    if not people:
        return 0
    context = {**message_texts("call", call, "title"), "path": f"/calls/{call.pk}/"}
    return notify_users(kind="call_published", users=people.values(), obj=call, key="opened", context=context)
