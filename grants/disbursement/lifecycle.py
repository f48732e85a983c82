"""Use cases for grant agreements, budgets, tranches, payments and exchange rates.

The only writers of these models. Every state change goes through `transition_run`; every
money movement writes an audit event; notifications are outbox rows in the same transaction.

Lock order, everywhere: the Grant row, then its Tranche rows, then (inside `audit_record`) the
audit head. A payment holds the grant's lock from its first read to its commit, so two finance
officers can never both see the same room under the award."""
import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from accounts.models import Membership, ProgrammeRole
from applications.models import Application, ApplicationState
from audit.services import audit_record
from core.errors import TransitionRefused
from audit.transitions import transition_run
from workers.messenger import notify_user
from grants.disbursement import conditions as tranche_rules
from grants.disbursement.selectors import exchange_rates_for_month, exchange_rates_used, grant_eligible_spent
from grants.calls.models import CURRENCIES, Programme, TrancheCondition
from grants.agreements.models import Amendment, Grant, GrantBudgetLine, GrantState
from grants.disbursement.models import ExchangeRate, Payment, Tranche, TrancheState
from grants.disbursement.money import cents, conversion_rate, convert, month_start, rate_round, scale, to_decimal
from reporting.grantee.services import grantee_reports_schedule
from grants.agreements.services import _dates_check, _decided, _grant_path, _line_snapshot, _members, _notify, _reason_required, _require, add_months, agreement_store
from grants.disbursement.services import _tranches_evaluate


def _call_plan(call) -> list[tuple[Decimal, str]]:
    items = list(call.tranche_plan.order_by("position"))
    if not items:
        return list(tranche_rules.DEFAULT_PLAN)
    return [(item.share_pct, item.condition) for item in items]


def grant_number_next(*, programme: Programme, country: str, year: int) -> str:
    """PREFIX-YEAR-COUNTRY-SEQ, e.g. EU4I-2026-UA-007. Call it holding the programme's row lock."""
    prefix = f"{programme.code.upper()}-{year}-{country.upper()}-"
    last = 0
    for number in Grant.objects.filter(number__startswith=prefix).values_list("number", flat=True):
        tail = number[len(prefix):]
        if tail.isdigit():
            last = max(last, int(tail))
    return f"{prefix}{last + 1:03d}"


def grant_create_from_application(*, actor, application_id: int, starts_on: date | None = None,
                                  ends_on: date | None = None) -> Grant:
    """Make the draft agreement of an awarded application: number, amount, currency, dates,
    approved budget (scaled to the award) and tranche plan (from the call's template)."""
    try:
        application = Application.objects.select_related("call", "organisation").get(pk=application_id)
    except Application.DoesNotExist:
        raise ValidationError(_("This application does not exist."))
    call = application.call
    _require(actor, "grants.create_grant", call)
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=call.programme_id)  # the sequence's lock
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.state != ApplicationState.AWARDED or application.awarded_amount is None:
            raise TransitionRefused(_("Only an awarded application becomes a grant agreement."))
        if Grant.objects.filter(application_id=application.pk).exists():
            raise TransitionRefused(_("This application already has a grant agreement."))
        awarded = application.awarded_amount
        plan = _call_plan(call)
        problems = tranche_rules.plan_problems(plan)
        planned = tranche_rules.plan_amounts(awarded, plan)
        problems += tranche_rules.amounts_problems(awarded, planned, [c for _s, c in plan])
        if problems:
            raise ValidationError(problems)
        starts_on = starts_on or timezone.localdate()
        months = min(application.duration_months or call.max_duration_months, call.max_duration_months)
        latest_end = add_months(starts_on, call.max_duration_months) - timedelta(days=1)
        ends_on = ends_on or (add_months(starts_on, months) - timedelta(days=1))
        _dates_check(starts_on, ends_on, latest_end, call.max_duration_months)
        grant = Grant.objects.create(
            application=application, call=call, organisation=application.organisation,
            number=grant_number_next(programme=programme, country=application.organisation.country,
                                     year=timezone.localdate().year),
            title=application.title or str(application), amount_awarded=awarded, currency=str(call.envelope.currency),
            starts_on=starts_on, ends_on=ends_on)
        source = list(application.budget_lines.select_related("heading").order_by("position", "pk"))
        amounts = [line.total for line in source]
        if source and sum(amounts, Decimal("0")) != awarded:
            amounts = scale(amounts, awarded)
        GrantBudgetLine.objects.bulk_create([
            GrantBudgetLine(grant=grant, heading_id=line.heading_id, position=i, description=line.description, amount=amount)
            for i, (line, amount) in enumerate(zip(source, amounts, strict=True), start=1)])
        Tranche.objects.bulk_create([
            Tranche(grant=grant, position=i, share_pct=share, condition=condition, planned_amount=amount)
            for i, ((share, condition), amount) in enumerate(zip(plan, planned, strict=True), start=1)])
        audit_record(actor=actor, action="grant_create", obj=grant, to_state=grant.state, data={
            "application": application.pk, "number": grant.number, "amount_awarded": awarded, "currency": grant.currency,
            "starts_on": starts_on, "ends_on": ends_on, "budget": [str(a) for a in amounts],
            "tranches": [{"share_pct": s, "condition": c, "planned_amount": a} for (s, c), a in zip(plan, planned, strict=True)]})
    return grant


def grant_sign(*, actor, grant_id: int, document, signed_on: date | None = None) -> Grant:
    """Record the signature: the signed PDF is kept, the budget as signed becomes version 1,
    and the tranches paid on signature become due."""
    if signed_on and signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signature date cannot be in the future.")})
    stored = agreement_store(document)
    signed_at = timezone.now()
    if signed_on and signed_on != timezone.localdate():
        signed_at = timezone.make_aware(datetime.combine(signed_on, time(12, 0)))

    def prepare(grant):
        lines = list(GrantBudgetLine.objects.filter(grant=grant))
        if lines and sum((line.amount for line in lines), Decimal("0")) != grant.amount_awarded:
            raise ValidationError(_("The budget does not add up to the amount awarded; correct it before signing."))
        grant.signed_at = signed_at
        grant.signed_document = stored

    def effects(grant, event):
        lines = list(GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk"))
        version = Amendment.objects.create(grant=grant, version=1, reason=_("Budget as signed"),
                                           lines=_line_snapshot(lines), proposed_by=actor)
        transition_run(model=Amendment, pk=version.pk, transition="approve", actor=actor, reason="signature",
                       prepare=lambda a: _decided(a, actor))
        _tranches_evaluate(grant, actor)
        grantee_reports_schedule(grant_id=grant.pk, actor=actor)
        _notify("grant_signed", _members(grant.organisation_id), grant, str(event.seq), {
            "grant": grant.number, "title": grant.title, "amount": str(grant.amount_awarded), "currency": grant.currency,
            "path": _grant_path(grant)})

    try:
        return transition_run(model=Grant, pk=grant_id, transition="sign", actor=actor, permission="grants.manage_grant",
                              prepare=prepare, effects=effects,
                              data={"document": stored, "signed_at": signed_at.isoformat()})
    except BaseException:
        (settings.PRIVATE_STORAGE_ROOT / stored).unlink(missing_ok=True)
        raise




def grant_suspend(*, actor, grant_id: int, reason: str) -> Grant:
    reason = _reason_required(reason, _("Say why the grant is suspended."))
    return transition_run(model=Grant, pk=grant_id, transition="suspend", actor=actor, permission="grants.manage_grant",
                          reason=reason)


def grant_resume(*, actor, grant_id: int, reason: str = "") -> Grant:
    return transition_run(model=Grant, pk=grant_id, transition="resume", actor=actor, permission="grants.manage_grant",
                          reason=reason, effects=lambda grant, event: _tranches_evaluate(grant, actor))


def _cancel_open_tranches(grant, actor, reason, *, keep_final=False):
    cancelled = []
    for tranche in Tranche.objects.select_for_update().filter(
            grant=grant, state__in=[TrancheState.PLANNED, TrancheState.DUE]).order_by("position"):
        if keep_final and tranche.condition == TrancheCondition.FINAL_REPORT:
            continue
        transition_run(model=Tranche, pk=tranche.pk, transition="cancel", actor=actor, reason=reason,
                       prepare=lambda t: setattr(t, "due_reason", reason))
        cancelled.append(tranche.position)
    return cancelled


def grant_terminate(*, actor, grant_id: int, reason: str) -> Grant:
    """End the grant early: every planned or due tranche is cancelled (approved ones may still be paid)."""
    reason = _reason_required(reason, _("Say why the grant is terminated."))
    return transition_run(
        model=Grant, pk=grant_id, transition="terminate", actor=actor, permission="grants.manage_grant", reason=reason,
        effects=lambda grant, event: _cancel_open_tranches(grant, actor, _("Cancelled: the grant was terminated (%(reason)s).")
                                                           % {"reason": reason}))


def grant_close_problems(grant) -> list[str]:
    from reporting.grantee.models import GranteeReport, GranteeReportState, ReportKind

    problems = []
    if not GranteeReport.objects.filter(grant=grant, kind=ReportKind.FINAL, state=GranteeReportState.APPROVED).exists():
        problems.append(_("The final report is not approved yet."))
    tranches = list(Tranche.objects.filter(grant=grant))
    if any(t.condition == TrancheCondition.FINAL_REPORT and t.state not in (TrancheState.PAID, TrancheState.CANCELLED)
           for t in tranches):
        problems.append(_("The balance is neither paid nor cancelled."))
    if any(t.state == TrancheState.APPROVED for t in tranches):
        problems.append(_("An approved tranche is still unpaid."))
    return problems


def grant_close(*, actor, grant_id: int, reason: str = "") -> Grant:
    def prepare(grant):
        problems = grant_close_problems(grant)
        if problems:
            raise ValidationError(problems)

    return transition_run(
        model=Grant, pk=grant_id, transition="close", actor=actor, permission="grants.manage_grant", reason=reason,
        prepare=prepare,
        effects=lambda grant, event: _cancel_open_tranches(grant, actor, _("Cancelled: the grant was closed.")))
