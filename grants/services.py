"""Use cases for programmes and calls."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from audit.transitions import transition_run

from .models import Call, CallState, Criterion, Programme

SYSTEM = None  # scheduled transitions are recorded with no human actor


def call_publish_problems(call: Call, programme: Programme | None = None) -> list[str]:
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
    programme = programme or call.programme
    if call.envelope.currency != programme.budget.currency:
        problems.append(_("The envelope is in %(call)s but the programme budget is in %(programme)s.")
                        % {"call": call.envelope.currency, "programme": programme.budget.currency})
    else:
        available = programme.budget.amount - programme.envelopes_total
        if call.envelope.amount > available:
            problems.append(_("The envelope (%(envelope)s) exceeds what is left of the programme budget (%(available)s %(currency)s).")
                            % {"envelope": call.envelope, "available": available, "currency": programme.budget.currency})
    if call.max_grant > call.envelope.amount:
        problems.append(_("The maximum grant is larger than the envelope."))
    return problems


COUNTED_STATES = [s for s in CallState.values if s not in (CallState.DRAFT, CallState.CANCELLED)]


def call_publish(*, actor, call_id: int) -> Call:
    def check_and_commit_envelope(call):
        # The programme row is the lock that keeps envelopes within its budget.
        programme = Programme.objects.select_for_update().get(pk=call.programme_id)
        problems = call_publish_problems(call, programme)
        if problems:
            raise ValidationError(problems)
        Programme.objects.filter(pk=programme.pk).update(envelopes_total=F("envelopes_total") + call.envelope.amount)

    return transition_run(model=Call, pk=call_id, transition="publish", actor=actor,
                          permission="grants.manage_call", prepare=check_and_commit_envelope,
                          data={"envelope": str(Call.objects.values_list("envelope", flat=True).get(pk=call_id))})


def call_cancel(*, actor, call_id: int, reason: str) -> Call:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the call is cancelled.")})

    def release_envelope(call):
        if call.state in COUNTED_STATES:
            Programme.objects.select_for_update().filter(pk=call.programme_id).update(
                envelopes_total=F("envelopes_total") - call.envelope.amount)

    return transition_run(model=Call, pk=call_id, transition="cancel", actor=actor,
                          permission="grants.manage_call", reason=reason, prepare=release_envelope)


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
