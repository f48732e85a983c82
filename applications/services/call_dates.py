"""A call's dates after it is published: close it early, extend its deadline for everyone, or
reopen a call closed by mistake. Each reads top to bottom: lock the call, check the manager and
the state, change the dates by the database's clock, audit, tell the organisations drafting.

Submission compares the database clock with the deadline (applications.services.submission), so
a call closed early refuses a submission a second later, whatever a page showed."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import ApplicationState
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.clock import database_now, moment_text
from core.errors import TransitionRefused
from core.languages import message_texts
from grants.calls.models import Call, CallState
from workers.messenger import notify_users

REOPEN_GRACE = timedelta(days=7)  # how long after closing a call may be reopened (a mistake, not a new round)


def drafting_users(call: Call):
    """The active members of every organisation with a draft for the call."""
    return User.objects.filter(
        is_active=True,
        memberships__organisation__applications__call=call,
        memberships__organisation__applications__state=ApplicationState.DRAFT,
    ).distinct()


def _tell_drafting(call: Call, kind: str, key: str, **context) -> int:
    context = {**message_texts("call", call, "title"), "path": f"/calls/{call.pk}/", **context}
    return notify_users(kind=kind, users=drafting_users(call), obj=call, key=key, context=context)


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": what})
    return reason


def call_close_early(*, actor, call_id: int, reason: str) -> Call:
    """Close an open call now, before its deadline; the drafting organisations are told why."""
    reason = _reason(reason, _("Say why the call closes early; the organisations drafting will read it."))
    with transaction.atomic():
        call = lock(Call, call_id)
        check(actor, call, "close", permission="grants.manage_call")
        now = database_now()
        if call.deadline <= now:
            raise TransitionRefused(_("The deadline has passed already; the call closes by itself."))
        deadline_was = call.deadline
        call.deadline = max(now, call.opens_at + timedelta(seconds=1))
        call.closed_early_reason = reason
        event = transition(call, "close", actor=actor, reason=reason, data={"deadline_was": deadline_was.isoformat()})
        _tell_drafting(call, "call_closed_early", str(event.seq), reason=reason)
    return call


def call_extend(*, actor, call_id: int, deadline: datetime, reason: str) -> Call:
    """Move a published or open call's deadline later for everyone, never past the programme's end."""
    reason = _reason(reason, _("Say why the deadline moves; the organisations drafting will read it."))
    with transaction.atomic():
        call = lock(Call, call_id)
        if not actor.has_perm("grants.manage_call", call):
            raise PermissionDenied(_("You do not manage this call's programme."))
        if call.state not in (CallState.PUBLISHED, CallState.OPEN):
            raise TransitionRefused(_("Only a published or open call's deadline can be extended."))
        if deadline <= call.deadline:
            raise ValidationError({"deadline": _("The new deadline must be later than the current one.")})
        ends = call.programme.ends_on
        if deadline.date() > ends:
            raise ValidationError(
                {"deadline": _("The programme ends on %(date)s; the deadline cannot pass it.") % {"date": ends}}
            )
        deadline_was = call.deadline
        call.deadline = deadline
        call.save(update_fields=["deadline"])
        event = audit_record(
            actor=actor,
            action="call_extend",
            obj=call,
            reason=reason,
            data={"deadline_was": deadline_was.isoformat(), "deadline": deadline.isoformat()},
        )
        _tell_drafting(call, "call_extended", str(event.seq), deadline=deadline.isoformat(), reason=reason)
    return call


def call_reopen(*, actor, call_id: int, deadline: datetime, reason: str) -> Call:
    """Reopen a call closed by mistake, within REOPEN_GRACE of its closing and before its review
    starts, with a new deadline; the drafting organisations are told."""
    reason = _reason(reason, _("Say why the call reopens; the organisations drafting will read it."))
    with transaction.atomic():
        call = lock(Call, call_id)
        check(actor, call, "reopen", permission="grants.manage_call")
        now = database_now()
        if call.closed_at is not None and now > call.closed_at + REOPEN_GRACE:
            raise TransitionRefused(
                _("A call can be reopened within %(days)s days of closing; this one closed on %(date)s.")
                % {"days": REOPEN_GRACE.days, "date": moment_text(call.closed_at)}
            )
        if deadline <= now:
            raise ValidationError({"deadline": _("The new deadline must be in the future.")})
        if deadline.date() > call.programme.ends_on:
            raise ValidationError(
                {
                    "deadline": _("The programme ends on %(date)s; the deadline cannot pass it.")
                    % {"date": call.programme.ends_on}
                }
            )
        deadline_was = call.deadline
        call.deadline = deadline
        call.closed_at = None
        call.closed_early_reason = ""
        event = transition(
            call,
            "reopen",
            actor=actor,
            reason=reason,
            data={"deadline_was": deadline_was.isoformat(), "deadline": deadline.isoformat()},
        )
        _tell_drafting(call, "call_reopened", str(event.seq), deadline=deadline.isoformat(), reason=reason)
    return call
