"""The signed grant's life, from the awarded application to closure. Each step moves money or
waits on it: creating the agreement fixes its tranche plan, signing makes the signature tranches
due and schedules the grantee's reports, terminating and closing cancel what is still open. So
these use cases sit above agreements, grantee reports and tranches (docs/architecture.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import organisation_member_users
from applications.models import Application, ApplicationState, ProposedIndicator
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.storage import file_delete
from grants.agreements.models import Amendment, Grant, GrantBudgetLine
from grants.agreements.services import (
    add_months,
    agreement_store,
    amendment_decided,
    dates_check,
    grant_path,
    line_snapshot,
    notify_people,
    reason_required,
    require_perm,
)
from grants.calls.models import Call, Programme, TrancheCondition
from grants.disbursement import conditions as tranche_rules
from grants.disbursement.models import Tranche, TrancheState
from grants.disbursement.money import scale
from grants.disbursement.services import tranches_evaluate
from reporting.grantee.models import GranteeReport, GranteeReportState, Indicator, ReportKind
from reporting.grantee.schedule import grantee_reports_schedule


def _call_plan(call: Call) -> list[tuple[Decimal, str]]:
    items = list(call.tranche_plan.order_by("position"))
    if not items:
        return list(tranche_rules.DEFAULT_PLAN)
    return [(item.share_pct, item.condition) for item in items]


def grant_number_next(*, programme: Programme, country: str, year: int) -> str:
    """PREFIX-YEAR-COUNTRY-SEQ, e.g. EU4I-2026-UA-007. Call it holding the programme's row lock."""
    prefix = f"{programme.code.upper()}-{year}-{country.upper()}-"
    last = 0
    for number in Grant.objects.filter(number__startswith=prefix).values_list("number", flat=True):
        tail = number[len(prefix) :]
        if tail.isdigit():
            last = max(last, int(tail))
    return f"{prefix}{last + 1:03d}"


def grant_create_from_application(
    *, actor: User | AnonymousUser, application_id: int, starts_on: date | None = None, ends_on: date | None = None
) -> Grant:
    """Make the draft agreement of an awarded application: number, amount, currency, dates,
    approved budget (scaled to the award) and tranche plan (from the call's template)."""
    try:
        application = Application.objects.select_related("call", "organisation").get(pk=application_id)
    except Application.DoesNotExist:
        raise ValidationError(_("This application does not exist."))
    call = application.call
    require_perm(actor, "grants.create_grant", call)  # type: ignore[no-untyped-call]
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
        dates_check(starts_on, ends_on, latest_end, call.max_duration_months)  # type: ignore[no-untyped-call]
        grant: Grant = Grant.objects.create(
            application=application,
            call=call,
            organisation=application.organisation,
            number=grant_number_next(
                programme=programme, country=application.organisation.country, year=timezone.localdate().year
            ),
            title=application.title or str(application),
            amount_awarded=awarded,
            currency=str(call.envelope.currency),
            starts_on=starts_on,
            ends_on=ends_on,
        )
        source = list(application.budget_lines.select_related("heading").order_by("position", "pk"))
        amounts = [line.total for line in source]
        if source and sum(amounts, Decimal("0")) != awarded:
            amounts = scale(amounts, awarded)
        GrantBudgetLine.objects.bulk_create(
            [
                GrantBudgetLine(
                    grant=grant, heading_id=line.heading_id, position=i, description=line.description, amount=amount
                )
                for i, (line, amount) in enumerate(zip(source, amounts, strict=True), start=1)
            ]
        )
        # The application's proposed indicators become the grant's (linked to the programme's).
        indicators = Indicator.objects.bulk_create(
            [
                Indicator(
                    grant=grant,
                    position=p.position,
                    name=p.name,
                    unit=p.unit,
                    baseline=p.baseline,
                    target=p.target,
                    programme_indicator_id=p.programme_indicator_id,
                    means_of_verification=p.means_of_verification,
                )
                for p in ProposedIndicator.objects.filter(application=application).order_by("position", "pk")
            ]
        )
        Tranche.objects.bulk_create(
            [
                Tranche(grant=grant, position=i, share_pct=share, condition=condition, planned_amount=amount)
                for i, ((share, condition), amount) in enumerate(zip(plan, planned, strict=True), start=1)
            ]
        )
        audit_record(
            actor=actor,
            action="grant_create",
            obj=grant,
            to_state=grant.state,
            data={
                "application": application.pk,
                "number": grant.number,
                "amount_awarded": awarded,
                "currency": grant.currency,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "budget": [str(a) for a in amounts],
                "indicators": [{"name": i.name, "target": i.target} for i in indicators],
                "tranches": [
                    {"share_pct": s, "condition": c, "planned_amount": a}
                    for (s, c), a in zip(plan, planned, strict=True)
                ],
            },
        )
    return grant


def grant_sign(
    *, actor: User | AnonymousUser, grant_id: int, document: UploadedFile[bytes] | None, signed_on: date | None = None
) -> Grant:
    """Record the signature: the signed PDF is kept, the budget as signed becomes version 1, the
    tranches paid on signature become due and the grantee's reports are scheduled."""
    if signed_on and signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signature date cannot be in the future.")})
    stored = agreement_store(document)
    signed_at = timezone.now()
    if signed_on and signed_on != timezone.localdate():
        signed_at = timezone.make_aware(datetime.combine(signed_on, time(12, 0)))
    try:
        with transaction.atomic():
            grant: Grant = lock(Grant, grant_id)
            check(actor, grant, "sign", permission="grants.manage_grant")
            lines = list(
                GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk")
            )
            if lines and sum((line.amount for line in lines), Decimal("0")) != grant.amount_awarded:
                raise ValidationError(_("The budget does not add up to the amount awarded; correct it before signing."))
            grant.signed_at = signed_at
            grant.signed_document = stored
            event = transition(
                grant, "sign", actor=actor, data={"document": stored, "signed_at": signed_at.isoformat()}
            )
            version = Amendment.objects.create(
                grant=grant,
                version=1,
                reason=_("Budget as signed"),
                lines=line_snapshot(lines),
                proposed_by=cast(User, actor),  # allowed to sign: a signed-in user
            )
            amendment_decided(version, actor)  # type: ignore[no-untyped-call]
            transition(version, "approve", actor=actor, reason="signature")
            tranches_evaluate(grant, actor)
            grantee_reports_schedule(grant_id=grant.pk, actor=actor)
            notify_people(  # type: ignore[no-untyped-call]
                "grant_signed",
                organisation_member_users(grant.organisation_id),
                grant,
                str(event.seq),
                {
                    "grant": grant.number,
                    "title": grant.title,
                    "amount": str(grant.amount_awarded),
                    "currency": grant.currency,
                    "path": grant_path(grant),
                },
            )
    except BaseException:
        file_delete(stored)
        raise
    return grant


def grant_suspend(*, actor: User | AnonymousUser, grant_id: int, reason: str) -> Grant:
    reason = reason_required(reason, _("Say why the grant is suspended."))  # type: ignore[no-untyped-call]
    with transaction.atomic():
        grant: Grant = lock(Grant, grant_id)
        check(actor, grant, "suspend", permission="grants.manage_grant")
        transition(grant, "suspend", actor=actor, reason=reason)
    return grant


def grant_resume(*, actor: User | AnonymousUser, grant_id: int, reason: str = "") -> Grant:
    """The grant runs again; tranches whose condition was met meanwhile become due."""
    with transaction.atomic():
        grant: Grant = lock(Grant, grant_id)
        check(actor, grant, "resume", permission="grants.manage_grant")
        transition(grant, "resume", actor=actor, reason=reason)
        tranches_evaluate(grant, actor)
    return grant


def _open_tranches_cancel(grant: Grant, actor: User | AnonymousUser, reason: str) -> list[int]:
    """Cancel the grant's planned and due tranches (approved ones may still be paid), saying why."""
    cancelled = []
    for tranche in (
        Tranche.objects.select_for_update()
        .filter(grant=grant, state__in=[TrancheState.PLANNED, TrancheState.DUE])
        .order_by("position")
    ):
        check(actor, tranche, "cancel")
        tranche.due_reason = reason
        transition(tranche, "cancel", actor=actor, reason=reason)
        cancelled.append(tranche.position)
    return cancelled


def grant_terminate(*, actor: User | AnonymousUser, grant_id: int, reason: str) -> Grant:
    """End the grant early: every planned or due tranche is cancelled (approved ones may still be paid)."""
    reason = reason_required(reason, _("Say why the grant is terminated."))  # type: ignore[no-untyped-call]
    with transaction.atomic():
        grant: Grant = lock(Grant, grant_id)
        check(actor, grant, "terminate", permission="grants.manage_grant")
        transition(grant, "terminate", actor=actor, reason=reason)
        _open_tranches_cancel(grant, actor, _("Cancelled: the grant was terminated (%(reason)s).") % {"reason": reason})
    return grant


def grant_close_problems(grant: Grant) -> list[str]:
    problems = []
    if not GranteeReport.objects.filter(grant=grant, kind=ReportKind.FINAL, state=GranteeReportState.APPROVED).exists():
        problems.append(_("The final report is not approved yet."))
    tranches = list(Tranche.objects.filter(grant=grant))
    if any(
        t.condition == TrancheCondition.FINAL_REPORT and t.state not in (TrancheState.PAID, TrancheState.CANCELLED)
        for t in tranches
    ):
        problems.append(_("The balance is neither paid nor cancelled."))
    if any(t.state == TrancheState.APPROVED for t in tranches):
        problems.append(_("An approved tranche is still unpaid."))
    return problems


def grant_close(*, actor: User | AnonymousUser, grant_id: int, reason: str = "") -> Grant:
    with transaction.atomic():
        grant: Grant = lock(Grant, grant_id)
        check(actor, grant, "close", permission="grants.manage_grant")
        problems = grant_close_problems(grant)
        if problems:
            raise ValidationError(problems)
        transition(grant, "close", actor=actor, reason=reason)
        _open_tranches_cancel(grant, actor, _("Cancelled: the grant was closed."))
    return grant
