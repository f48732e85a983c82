"""Use cases for programmes and calls."""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from audit.transitions import transition_run

from .models import Call, CallState, Criterion, Programme

SYSTEM = None  # scheduled transitions are recorded with no human actor


def call_publish_problems(call: Call) -> list[str]:
    """Why a call cannot be published, in words a programme manager can act on."""
    problems = []
    criteria = list(call.criteria.all())
    if not criteria:
        problems.append(_("The rubric has no criteria."))
    elif any(c.weight <= 0 for c in criteria):
        problems.append(_("Every criterion needs a positive weight."))
    elif call.overall_threshold > sum(c.max_score * c.weight for c in criteria):
        problems.append(_("The overall threshold (%(threshold)s) is above the highest possible weighted score (%(max)s).")
                        % {"threshold": call.overall_threshold, "max": sum(c.max_score * c.weight for c in criteria)})
    if any(c.minimum > c.max_score for c in criteria):
        problems.append(_("A criterion's minimum is above its maximum score."))
    programme = call.programme
    if call.envelope.currency != programme.budget.currency:
        problems.append(_("The envelope is in %(call)s but the programme budget is in %(programme)s.")
                        % {"call": call.envelope.currency, "programme": programme.budget.currency})
    else:
        committed = (Call.objects.filter(programme=programme).exclude(pk=call.pk)
                     .exclude(state__in=[CallState.DRAFT, CallState.CANCELLED])
                     .aggregate(total=Sum("envelope"))["total"] or Decimal("0"))
        available = programme.budget.amount - committed
        if call.envelope.amount > available:
            problems.append(_("The envelope (%(envelope)s) exceeds what is left of the programme budget (%(available)s %(currency)s).")
                            % {"envelope": call.envelope, "available": available, "currency": programme.budget.currency})
    if call.max_grant > call.envelope.amount:
        problems.append(_("The maximum grant is larger than the envelope."))
    return problems


def call_publish(*, actor, call_id: int) -> Call:
    def check(call):
        # The programme row is the lock that keeps envelopes within its budget.
        Programme.objects.select_for_update().get(pk=call.programme_id)
        problems = call_publish_problems(call)
        if problems:
            raise ValidationError(problems)

    return transition_run(model=Call, pk=call_id, transition="publish", actor=actor,
                          permission="grants.manage_call", prepare=check)


def call_cancel(*, actor, call_id: int, reason: str) -> Call:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the call is cancelled.")})
    return transition_run(model=Call, pk=call_id, transition="cancel", actor=actor,
                          permission="grants.manage_call", reason=reason)


def calls_open_close(now=None) -> tuple[int, int]:
    """Open published calls whose time has come and close open calls past their deadline."""
    now = now or timezone.now()
    opened = closed = 0
    for pk in Call.objects.filter(state=CallState.PUBLISHED, opens_at__lte=now, deadline__gt=now).values_list("pk", flat=True):
        transition_run(model=Call, pk=pk, transition="open", actor=SYSTEM, reason="schedule")
        opened += 1
    for pk in Call.objects.filter(state=CallState.OPEN, deadline__lte=now).values_list("pk", flat=True):
        transition_run(model=Call, pk=pk, transition="close", actor=SYSTEM, reason="schedule")
        closed += 1
    return opened, closed


def criterion_add(*, actor, call: Call, **fields) -> Criterion:
    with transaction.atomic():
        criterion = Criterion.objects.create(call=call, position=call.criteria.count() + 1, **fields)
        audit_record(actor=actor, action="criterion_add", obj=call, data={"criterion": criterion.name})
    return criterion
