"""Use cases for grant agreements, budgets, tranches, payments and exchange rates.

The only writers of these models. Every state change goes through `transition_run`; every
money movement writes an audit event; notifications are outbox rows in the same transaction.

Lock order, everywhere: the Grant row, then its Tranche rows, then (inside `audit_record`) the
audit head. A payment holds the grant's lock from its first read to its commit, so two finance
officers can never both see the same room under the award.
"""
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
from audit.transitions import TransitionRefused, transition_run
from workers.messenger import notify_user

from . import tranche_rules
from .grant_selectors import exchange_rates_for_month, exchange_rates_used, grant_eligible_spent
from .models import (CURRENCIES, Amendment, ExchangeRate, Grant, GrantBudgetLine, GrantState, Payment, Programme,
                     Tranche, TrancheCondition, TrancheState)
from .money import cents, conversion_rate, convert, month_start, rate_round, scale, to_decimal

AGREEMENT_MAX_BYTES = 20 * 1024 * 1024
AGREEMENT_DIR = "agreements"
PAYABLE_GRANT_STATES = [GrantState.ACTIVE, GrantState.TERMINATED]  # a terminated grant still settles approved tranches


# --- Helpers ---------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _grant_path(grant) -> str:
    return f"/grants/{grant.pk}/"


def _members(organisation_id):
    return [m.user for m in Membership.objects.filter(organisation_id=organisation_id).select_related("user")]


def _programme_people(programme_id, role):
    return [r.user for r in ProgrammeRole.objects.filter(programme_id=programme_id, role=role).select_related("user")]


def _notify(kind, users, obj, key, context):
    seen = set()
    for user in users:
        if user.pk in seen or not user.email:
            continue
        seen.add(user.pk)
        notify_user(kind=kind, user=user, obj=obj, key=key, context=context)


def _lock_grant(grant_id) -> Grant:
    try:
        return Grant.objects.select_for_update().get(pk=grant_id)
    except Grant.DoesNotExist:
        raise ValidationError(_("This grant does not exist."))


def _require(actor, permission, obj):
    if not actor.has_perm(permission, obj):
        raise PermissionDenied(_("You may not do this."))


def _amount(value, field_name, *, positive=True) -> Decimal:
    try:
        amount = to_decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field_name: _("Enter an amount, e.g. 1250.00.")})
    if not amount.is_finite():
        raise ValidationError({field_name: _("Enter an amount, e.g. 1250.00.")})
    if amount != cents(amount):
        raise ValidationError({field_name: _("Amounts have at most two decimals (cents).")})
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field_name: _("The amount must be positive.")})
    return amount


def _line_snapshot(lines) -> list[dict]:
    return [{"line": line.pk, "heading": line.heading_id, "heading_name": str(line.heading), "position": line.position,
             "description": line.description, "amount": str(line.amount)} for line in lines]


def _call_plan(call) -> list[tuple[Decimal, str]]:
    items = list(call.tranche_plan.order_by("position"))
    if not items:
        return list(tranche_rules.DEFAULT_PLAN)
    return [(item.share_pct, item.condition) for item in items]


# --- Creating the agreement ------------------------------------------------------------------

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


def _dates_check(starts_on, ends_on, latest_end, max_months):
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The grant cannot end before it starts.")})
    if ends_on > latest_end:
        raise ValidationError({"ends_on": _("The call allows at most %(months)s months: the grant must end by %(date)s.")
                               % {"months": max_months, "date": latest_end.isoformat()}})


def grant_terms_update(*, actor, grant_id: int, title: str, starts_on: date, ends_on: date) -> Grant:
    """Title and dates of a draft agreement."""
    with transaction.atomic():
        grant = _lock_grant(grant_id)
        _require(actor, "grants.manage_grant", grant)
        if grant.state != GrantState.DRAFT:
            raise TransitionRefused(_("Only a draft agreement can be changed this way."))
        if not (title or "").strip():
            raise ValidationError({"title": _("The agreement needs a title.")})
        call = grant.call
        _dates_check(starts_on, ends_on, add_months(starts_on, call.max_duration_months) - timedelta(days=1),
                     call.max_duration_months)
        before = {"title": grant.title, "starts_on": grant.starts_on, "ends_on": grant.ends_on}
        Grant.objects.filter(pk=grant.pk).update(title=title.strip(), starts_on=starts_on, ends_on=ends_on)
        audit_record(actor=actor, action="grant_terms_update", obj=grant, data={
            "before": before, "after": {"title": title.strip(), "starts_on": starts_on, "ends_on": ends_on}})
    return Grant.objects.get(pk=grant_id)


def _amounts_for(grant, lines, amounts: dict, descriptions: dict | None):
    """Validate new amounts {line id: amount}: every line named, none negative, total = award."""
    known = {line.pk for line in lines}
    unknown = set(amounts) - known
    if unknown:
        raise ValidationError(_("These budget lines are not part of this grant: %(ids)s.")
                              % {"ids": ", ".join(str(i) for i in sorted(unknown))})
    new = {line.pk: _amount(amounts.get(line.pk, line.amount), f"line_{line.pk}", positive=False) for line in lines}
    total = sum(new.values(), Decimal("0"))
    if lines and total != grant.amount_awarded:
        raise ValidationError(_("The budget adds up to %(total)s %(currency)s; it must equal the amount awarded, "
                                "%(awarded)s %(currency)s.") % {"total": total, "awarded": grant.amount_awarded,
                                                                 "currency": grant.currency})
    for line in lines:
        line.amount = new[line.pk]
        if descriptions and (descriptions.get(line.pk) or "").strip():
            line.description = descriptions[line.pk].strip()[:300]
    return lines


def grant_budget_update(*, actor, grant_id: int, amounts: dict, descriptions: dict | None = None) -> Grant:
    """Edit the approved budget of a draft agreement (before signature, no flexibility limit)."""
    with transaction.atomic():
        grant = _lock_grant(grant_id)
        _require(actor, "grants.manage_grant", grant)
        if grant.state != GrantState.DRAFT:
            raise TransitionRefused(_("After signature the budget changes through the flexibility rule or an amendment."))
        lines = list(GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk"))
        before = _line_snapshot(lines)
        lines = _amounts_for(grant, lines, amounts, descriptions)
        GrantBudgetLine.objects.bulk_update(lines, ["amount", "description"])
        audit_record(actor=actor, action="grant_budget_update", obj=grant,
                     data={"before": before, "after": _line_snapshot(lines)})
    return grant


# --- Signature and the grant's state machine -------------------------------------------------

def agreement_store(document) -> str:
    """Check the upload is a PDF (by its content) and store it under a generated name."""
    if document is None:
        raise ValidationError({"document": _("Upload the signed agreement (PDF).")})
    if document.size > AGREEMENT_MAX_BYTES:
        raise ValidationError({"document": _("The file is larger than %(mb)s MB.") % {"mb": AGREEMENT_MAX_BYTES // (1024 * 1024)}})
    document.seek(0)
    head = document.read(5)
    if head != b"%PDF-":
        raise ValidationError({"document": _("The signed agreement must be a PDF file.")})
    document.seek(0)
    stored = f"{AGREEMENT_DIR}/{uuid.uuid4().hex}.pdf"
    target = settings.PRIVATE_STORAGE_ROOT / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        for chunk in document.chunks():
            out.write(chunk)
    return stored


def agreement_path(grant):
    return settings.PRIVATE_STORAGE_ROOT / grant.signed_document if grant.signed_document else None


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


def _decided(amendment, actor):
    amendment.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    amendment.decided_at = timezone.now()


def _reason_required(reason, what):
    if not (reason or "").strip():
        raise ValidationError({"reason": what})
    return reason.strip()


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
    from reporting.models import GranteeReport, GranteeReportState, ReportKind

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


# --- Budget changes and amendments -----------------------------------------------------------

@dataclass
class BudgetChange:
    applied: bool                      # True: within the flexibility limit, applied at once
    amendment: Amendment | None = None  # otherwise the amendment waiting for the manager
    breaches: list = field(default_factory=list)


def grant_budget_change(*, actor, grant_id: int, amounts: dict, reason: str = "",
                        descriptions: dict | None = None) -> BudgetChange:
    """Move money between budget lines of a signed grant. Within the call's flexibility limit
    (each heading at most ±limit% cumulatively against the approved version) it applies at once
    and is audited; beyond it, it becomes an amendment the manager approves or rejects."""
    with transaction.atomic():
        grant = _lock_grant(grant_id)
        _require(actor, "grants.change_grant_budget", grant)
        if grant.state not in (GrantState.ACTIVE, GrantState.SUSPENDED):
            raise TransitionRefused(_("The budget of this grant cannot change in its current state."))
        # An amendment carries the whole budget: nothing else changes it while one waits.
        if Amendment.objects.filter(grant=grant, state=Amendment.State.PROPOSED).exists():
            raise ValidationError(_("An amendment is already waiting for the programme manager's decision."))
        lines = list(GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk"))
        before = _line_snapshot(lines)
        lines = _amounts_for(grant, lines, amounts, descriptions)
        from .grant_selectors import grant_approved_version, version_heading_totals

        approved = version_heading_totals(grant_approved_version(grant))
        proposed = tranche_rules.heading_totals((line.heading_id, line.amount) for line in lines)
        breaches = tranche_rules.flexibility_breaches(approved=approved, proposed=proposed,
                                                      limit_pct=grant.call.flexibility_pct)
        if not breaches:
            GrantBudgetLine.objects.bulk_update(lines, ["amount", "description"])
            audit_record(actor=actor, action="budget_change", obj=grant, reason=reason or "", data={
                "before": before, "after": _line_snapshot(lines), "limit_pct": grant.call.flexibility_pct})
            return BudgetChange(applied=True)
        reason = _reason_required(reason, _("This change moves a heading beyond the %(pct)s%% flexibility limit and "
                                            "needs an amendment: say why it is needed.")
                                  % {"pct": grant.call.flexibility_pct})
        version = (Amendment.objects.filter(grant=grant).aggregate(v=Max("version"))["v"] or 0) + 1
        amendment = Amendment.objects.create(grant=grant, version=version, reason=reason, lines=_line_snapshot(lines),
                                             proposed_by=actor)
        event = audit_record(actor=actor, action="amendment_propose", obj=amendment, to_state=amendment.state,
                             reason=reason, data={"grant": grant.number, "version": version, "lines": amendment.lines,
                                                  "breaches": [{"heading": b.heading, "approved": b.approved,
                                                                "proposed": b.proposed, "change_pct": b.change_pct}
                                                               for b in breaches]})
        _notify("amendment_proposed", _programme_people(grant.call.programme_id, ProgrammeRole.Role.MANAGER), amendment,
                str(event.seq), {"grant": grant.number, "version": version, "path": _grant_path(grant)})
        return BudgetChange(applied=False, amendment=amendment, breaches=breaches)


def _amendment_decide(*, actor, amendment_id, transition, reason):
    amendment_grant = Amendment.objects.filter(pk=amendment_id).values_list("grant_id", flat=True).first()
    if amendment_grant is None:
        raise ValidationError(_("This amendment does not exist."))
    with transaction.atomic():
        grant = _lock_grant(amendment_grant)

        def prepare(amendment):
            if transition == "approve" and grant.state not in (GrantState.ACTIVE, GrantState.SUSPENDED):
                raise TransitionRefused(_("The grant is no longer running; its budget cannot change."))
            _decided(amendment, actor)

        def effects(amendment, event):
            if transition == "approve":
                lines = {line.pk: line for line in GrantBudgetLine.objects.filter(grant=grant)}
                changed = []
                for row in amendment.lines:
                    line = lines.get(row["line"])
                    if line is None:
                        raise ValidationError(_("The amendment names a budget line that no longer exists."))
                    line.amount, line.description = Decimal(row["amount"]), row["description"]
                    changed.append(line)
                if sum((line.amount for line in lines.values()), Decimal("0")) != grant.amount_awarded:
                    raise ValidationError(_("The amended budget does not add up to the amount awarded."))
                GrantBudgetLine.objects.bulk_update(changed, ["amount", "description"])
            recipients = _members(grant.organisation_id)
            if amendment.proposed_by_id and amendment.proposed_by not in recipients:
                recipients.append(amendment.proposed_by)
            _notify("amendment_decided", recipients, amendment, str(event.seq), {
                "grant": grant.number, "version": amendment.version, "decision": amendment.get_state_display(),
                "comment": reason, "path": _grant_path(grant)})

        return transition_run(model=Amendment, pk=amendment_id, transition=transition, actor=actor,
                              permission="grants.decide_amendment", reason=reason, prepare=prepare, effects=effects,
                              data={"grant": grant.number})


def amendment_approve(*, actor, amendment_id: int, reason: str = "") -> Amendment:
    """The amended budget replaces the current one and becomes the new approved version."""
    return _amendment_decide(actor=actor, amendment_id=amendment_id, transition="approve", reason=reason)


def amendment_reject(*, actor, amendment_id: int, reason: str) -> Amendment:
    reason = _reason_required(reason, _("Say why the amendment is rejected."))
    return _amendment_decide(actor=actor, amendment_id=amendment_id, transition="reject", reason=reason)


# --- Tranche conditions ----------------------------------------------------------------------

def _tranches_evaluate(grant, actor) -> list[Tranche]:
    """Make due every planned tranche whose condition is met (the grant row is locked by the caller).

    Signature tranches are due once signed. An interim tranche waits for its interim report
    (the n-th interim tranche for the n-th approved interim report) and for every earlier
    tranche to be paid or cancelled; then the 70% rule sets its amount. The final tranche
    waits for the approved final report and settled earlier tranches; the balance cap sets it.
    A tranche whose amount comes to nothing is cancelled, with the reason.
    """
    from reporting.models import GranteeReport, GranteeReportState, ReportKind

    if grant.state != GrantState.ACTIVE:
        return []
    tranches = list(Tranche.objects.select_for_update().filter(grant=grant).order_by("position"))
    if not any(t.state == TrancheState.PLANNED for t in tranches):
        return []
    approved_reports = list(GranteeReport.objects.filter(grant=grant, state=GranteeReportState.APPROVED)
                            .values_list("kind", flat=True))
    interim_approved = sum(1 for kind in approved_reports if kind == ReportKind.INTERIM)
    final_approved = ReportKind.FINAL in approved_reports
    payments = list(Payment.objects.filter(grant=grant).order_by("tranche__position", "paid_on", "pk")
                    .values_list("amount_programme_currency", flat=True))
    spent = None
    paid_total = Grant.objects.values_list("paid_total", flat=True).get(pk=grant.pk)
    today = timezone.localdate()
    made, interim_seen = [], 0
    for index, tranche in enumerate(tranches):
        if tranche.condition == TrancheCondition.INTERIM_REPORT:
            interim_seen += 1
        if tranche.state != TrancheState.PLANNED:
            continue
        if tranche.condition == TrancheCondition.SIGNATURE:
            decision = tranche_rules.signature_due(planned=tranche.planned_amount)
        else:
            if any(t.state not in (TrancheState.PAID, TrancheState.CANCELLED) for t in tranches[:index]):
                break  # later tranches depend on what the earlier ones paid
            if spent is None:
                spent = grant_eligible_spent(grant.pk)
            if tranche.condition == TrancheCondition.INTERIM_REPORT:
                if interim_approved < interim_seen:
                    break
                decision = tranche_rules.interim_due(planned=tranche.planned_amount, payments=payments, spent=spent)
            else:
                if not final_approved:
                    break
                decision = tranche_rules.balance_due(awarded=grant.amount_awarded, paid=paid_total, committed_other=0,
                                                     eligible_spent=spent)

        def prepare(t, decision=decision):
            t.due_amount = decision.amount
            t.due_reason = decision.reason
            t.due_on = today + timedelta(days=tranche_rules.PAYMENT_TERM_DAYS) if decision.amount > 0 else None

        if decision.amount > 0:
            tranches[index] = transition_run(
                model=Tranche, pk=tranche.pk, transition="make_due", actor=actor, reason=decision.reason, prepare=prepare,
                data={"grant": grant.number, "due_amount": decision.amount, "planned_amount": tranche.planned_amount},
                effects=lambda t, event: _notify(
                    "tranche_due", _programme_people(grant.call.programme_id, ProgrammeRole.Role.MANAGER), t, str(event.seq),
                    {"grant": grant.number, "tranche": t.position, "amount": str(t.due_amount), "currency": grant.currency,
                     "reason": t.due_reason, "path": _grant_path(grant)}))
            made.append(tranches[index])
        else:  # nothing to pay now: the tranche is cancelled and says why
            tranches[index] = transition_run(model=Tranche, pk=tranche.pk, transition="cancel", actor=actor,
                                             reason=decision.reason, prepare=prepare,
                                             data={"grant": grant.number, "due_amount": "0"})
    return made


def tranche_conditions_check(*, grant_id: int, actor) -> list[Tranche]:
    """Re-evaluate the grant's tranche conditions and make due the tranches whose condition is
    now met. Idempotent: safe to call after any report approval, payment or resumption.

    The reports part calls this when a grantee report is approved. Call it after your own
    transition, ideally once it has committed (`after_commit=[...]` / `transaction.on_commit`),
    so that your locks are not held while this one takes the grant's.
    """
    with transaction.atomic():
        grant = _lock_grant(grant_id)
        return _tranches_evaluate(grant, actor)


def tranche_approve(*, actor, tranche_id: int, reason: str = "") -> Tranche:
    """A manager approves a due tranche for payment (and so may not record its payment)."""
    grant_id = Tranche.objects.filter(pk=tranche_id).values_list("grant_id", flat=True).first()
    if grant_id is None:
        raise ValidationError(_("This tranche does not exist."))
    with transaction.atomic():
        grant = _lock_grant(grant_id)

        def prepare(tranche):
            if grant.state != GrantState.ACTIVE:
                raise TransitionRefused(_("Tranches of a grant that is not active cannot be approved."))
            tranche.approved_by = actor
            tranche.approved_at = timezone.now()

        def effects(tranche, event):
            _notify("tranche_approved", _programme_people(grant.call.programme_id, ProgrammeRole.Role.FINANCE), tranche,
                    str(event.seq), {"grant": grant.number, "tranche": tranche.position, "amount": str(tranche.due_amount),
                                     "currency": grant.currency, "path": _grant_path(grant)})

        return transition_run(model=Tranche, pk=tranche_id, transition="approve", actor=actor,
                              permission="grants.approve_tranche", reason=reason, prepare=prepare, effects=effects,
                              data={"grant": grant.number, "due_amount": Tranche.objects.values_list(
                                  "due_amount", flat=True).get(pk=tranche_id)})


# --- Payments --------------------------------------------------------------------------------

def payment_conversion(*, paid_on: date, amount: Decimal, currency: str, grant_currency: str):
    """(rate, rate month or None, amount in the grant's currency) for a payment."""
    if currency == grant_currency:
        return Decimal("1"), None, cents(amount)
    month = month_start(paid_on)
    rates = exchange_rates_for_month(month)
    try:
        rate = conversion_rate(paid_currency=currency, grant_currency=grant_currency, rates=rates)
    except KeyError as missing:
        raise ValidationError({"currency": _(
            "There is no exchange rate for %(currency)s in %(month)s. A finance officer records it on the exchange "
            "rates page first.") % {"currency": missing.args[0], "month": month.strftime("%m/%Y")}})
    return rate, month, convert(amount, rate)


def _already_recorded(bank_reference):
    existing = Payment.objects.filter(bank_reference=bank_reference).select_related("grant", "tranche").first()
    if existing is None:
        return ValidationError({"bank_reference": _("A payment with this bank reference is already recorded.")})
    return ValidationError({"bank_reference": _(
        "This payment is already recorded: bank reference %(ref)s paid tranche %(tranche)s of %(grant)s on %(date)s."
    ) % {"ref": existing.bank_reference, "tranche": existing.tranche.position, "grant": existing.grant.number,
         "date": existing.paid_on.isoformat()}})


def payment_record(*, actor, tranche_id: int, paid_on: date, amount, currency: str, bank_reference: str) -> Payment:
    """Record the payment of an approved tranche.

    One transaction: lock the grant, then the tranche; refuse a replayed bank reference, the
    approver paying (four eyes), a payment above the tranche's approved amount, above 90% of the
    award before the final report, or above the award; pay the tranche (transition), write the
    payment, raise the grant's paid total (the database refuses paid > awarded too), audit the
    amounts and tell the grantee."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the transfer.")})
    amount = _amount(amount, "amount")
    currency = (currency or "").upper()
    if currency not in CURRENCIES:
        raise ValidationError({"currency": _("Choose one of %(list)s.") % {"list": ", ".join(CURRENCIES)}})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    tranche = Tranche.objects.select_related("grant__call").filter(pk=tranche_id).first()
    if tranche is None:
        raise ValidationError(_("This tranche does not exist."))
    _require(actor, "grants.pay_tranche", tranche)
    grant_id = tranche.grant_id
    try:
        with transaction.atomic():
            grant = _lock_grant(grant_id)
            if Payment.objects.filter(bank_reference=bank_reference).exists():
                raise _already_recorded(bank_reference)
            rate, rate_month, converted = payment_conversion(paid_on=paid_on, amount=amount, currency=currency,
                                                             grant_currency=grant.currency)

            def prepare(tranche):
                if tranche.approved_by_id == actor.pk:
                    raise PermissionDenied(_("You approved this tranche, so someone else must record its payment "
                                             "(four-eyes rule)."))
                if grant.state not in PAYABLE_GRANT_STATES:
                    raise TransitionRefused(_("Payments are not possible while the grant is %(state)s.")
                                            % {"state": grant.get_state_display().lower()})
                if converted > tranche.due_amount:
                    raise ValidationError({"amount": _(
                        "%(converted)s %(grant_currency)s is more than the %(due)s %(grant_currency)s approved for this "
                        "tranche.") % {"converted": converted, "due": tranche.due_amount, "grant_currency": grant.currency}})
                after = grant.paid_total + converted
                if after > grant.amount_awarded:
                    raise ValidationError({"amount": _(
                        "This payment would bring the total paid to %(after)s %(currency)s, above the %(awarded)s awarded."
                    ) % {"after": after, "awarded": grant.amount_awarded, "currency": grant.currency}})
                if (tranche.condition != TrancheCondition.FINAL_REPORT
                        and after > tranche_rules.prefinancing_cap(grant.amount_awarded)):
                    raise ValidationError({"amount": _(
                        "Before the final report at most 90%% of the grant (%(cap)s %(currency)s) may be paid; this "
                        "payment would bring it to %(after)s.") % {
                        "cap": cents(tranche_rules.prefinancing_cap(grant.amount_awarded)), "after": after,
                        "currency": grant.currency}})

            data = {"grant": grant.number, "amount": amount, "currency": currency, "exchange_rate": rate,
                    "rate_month": rate_month, "amount_grant_currency": converted, "grant_currency": grant.currency,
                    "bank_reference": bank_reference, "paid_on": paid_on}
            tranche = transition_run(model=Tranche, pk=tranche_id, transition="pay", actor=actor,
                                     permission="grants.pay_tranche", prepare=prepare, data=data)
            payment = Payment.objects.create(
                tranche=tranche, grant=grant, paid_on=paid_on, amount=amount, currency=currency, exchange_rate=rate,
                rate_month=rate_month, amount_programme_currency=converted, bank_reference=bank_reference,
                recorded_by=actor)
            Grant.objects.filter(pk=grant.pk).update(paid_total=F("paid_total") + converted)
            event = audit_record(actor=actor, action="payment_record", obj=payment, data={
                **data, "tranche": tranche.position, "paid_total_before": grant.paid_total,
                "paid_total_after": grant.paid_total + converted})
            _notify("payment_recorded", _members(grant.organisation_id), payment, str(event.seq), {
                "grant": grant.number, "tranche": tranche.position, "amount": str(amount), "currency": currency,
                "converted": str(converted), "grant_currency": grant.currency, "paid_on": paid_on.isoformat(),
                "path": _grant_path(grant)})
            grant.paid_total += converted
            _tranches_evaluate(grant, actor)  # an interim report approved earlier may now release the next tranche
    except IntegrityError as exc:  # the database's own guards, should a check above ever be bypassed
        text = str(exc).lower()
        if "bank_reference" in text:
            raise _already_recorded(bank_reference) from exc
        if "tranche_id" in text:
            raise TransitionRefused(_("This tranche is paid already.")) from exc
        if "grant_paid_within_awarded" in text:
            raise ValidationError({"amount": _("This payment would bring the total paid above the amount awarded.")}) from exc
        raise
    return payment


# --- Exchange rates --------------------------------------------------------------------------

def exchange_rate_record(*, actor, month: date, currency: str, rate, base: str = "EUR") -> ExchangeRate:
    """Record (or correct, while no payment used it) the monthly accounting rate 1 base = rate currency."""
    if not actor.has_perm("grants.record_exchange_rate"):
        raise PermissionDenied(_("Only finance officers record exchange rates."))
    currency, base = (currency or "").upper(), (base or "EUR").upper()
    if currency not in CURRENCIES or currency == base:
        raise ValidationError({"currency": _("Choose a currency other than %(base)s.") % {"base": base}})
    try:
        rate = to_decimal(rate)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"rate": _("Enter the rate as a number, e.g. 44.9512.")})
    if not rate.is_finite() or rate <= 0:
        raise ValidationError({"rate": _("The rate must be positive.")})
    if rate != rate_round(rate):
        raise ValidationError({"rate": _("Rates have at most six decimals.")})
    month = month_start(month)
    try:
        with transaction.atomic():
            existing = ExchangeRate.objects.select_for_update().filter(month=month, base=base, currency=currency).first()
            if existing is None:
                obj = ExchangeRate.objects.create(month=month, base=base, currency=currency, rate=rate, recorded_by=actor)
                audit_record(actor=actor, action="exchange_rate_record", obj=obj,
                             data={"month": month, "base": base, "currency": currency, "rate": rate})
                return obj
            if existing.rate == rate:
                return existing
            if (month, currency) in exchange_rates_used([month]):
                raise ValidationError({"rate": _("Payments already used the %(currency)s rate of %(month)s; it can no "
                                                 "longer change.") % {"currency": currency, "month": month.strftime("%m/%Y")}})
            before = existing.rate
            existing.rate, existing.recorded_by = rate, actor
            existing.save(update_fields=["rate", "recorded_by"])
            audit_record(actor=actor, action="exchange_rate_change", obj=existing,
                         data={"month": month, "base": base, "currency": currency, "before": before, "rate": rate})
            return existing
    except IntegrityError:
        raise ValidationError({"month": _("This rate was just recorded by someone else; reload the page.")})

