"""Use cases of the signed grant's money: tranches become due when their conditions are met,
managers approve them, finance officers record payments (never the approver: four eyes), and
monthly exchange rates.

Lock order, everywhere: the Grant row, then its Tranche rows, then (inside `audit_record`) the
audit head. A payment holds the grant's lock from its first read to its commit, so two finance
officers can never both see the same room under the award."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole, User
from accounts.selectors import organisation_member_users
from applications.conversations.models import EventKind, ThreadScope
from applications.conversations.services import thread_event_record
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.money import cents, to_decimal
from grants.agreements.models import Grant, GrantState
from grants.agreements.services import (
    amount_parse,
    grant_lock,
    grant_path,
    notify_people,
    programme_people,
    require_perm,
)
from grants.calls.models import CURRENCIES, TrancheCondition
from grants.disbursement import conditions as tranche_rules
from grants.disbursement.models import ExchangeRate, Payment, Tranche, TrancheState
from grants.disbursement.money import Amount, conversion_rate, convert, month_start, rate_round
from grants.disbursement.selectors import exchange_rates_for_month, exchange_rates_used, grant_eligible_spent
from reporting.grantee.models import GranteeReport, GranteeReportState, ReportKind

PAYABLE_GRANT_STATES = [GrantState.ACTIVE, GrantState.TERMINATED]  # a terminated grant still settles approved tranches


def tranches_evaluate(grant: Grant, actor: User | AnonymousUser | None) -> list[Tranche]:
    """Make due every planned tranche whose condition is met (the grant row is locked by the caller).

    Signature tranches are due once signed. An interim tranche waits for its interim report
    (the n-th interim tranche for the n-th approved interim report) and for every earlier
    tranche to be paid or cancelled; then the 70% rule sets its amount. The final tranche
    waits for the approved final report and settled earlier tranches; the balance cap sets it.
    A tranche whose amount comes to nothing is cancelled, with the reason.
    """
    if grant.state != GrantState.ACTIVE:
        return []
    tranches = list(Tranche.objects.select_for_update().filter(grant=grant).order_by("position"))
    if not any(t.state == TrancheState.PLANNED for t in tranches):
        return []
    approved_reports = list(
        GranteeReport.objects.filter(grant=grant, state=GranteeReportState.APPROVED).values_list("kind", flat=True)
    )
    interim_approved = sum(1 for kind in approved_reports if kind == ReportKind.INTERIM)
    final_approved = ReportKind.FINAL in approved_reports
    payments = list(
        Payment.objects.filter(grant=grant)
        .order_by("tranche__position", "paid_on", "pk")
        .values_list("amount_programme_currency", flat=True)
    )
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
                decision = tranche_rules.balance_due(
                    awarded=grant.amount_awarded, paid=paid_total, committed_other=0, eligible_spent=spent
                )

        tranche.due_amount = decision.amount
        tranche.due_reason = decision.reason
        tranche.due_on = today + timedelta(days=tranche_rules.PAYMENT_TERM_DAYS) if decision.amount > 0 else None
        if decision.amount > 0:
            check(actor, tranche, "make_due")
            event = transition(
                tranche,
                "make_due",
                actor=actor,
                reason=decision.reason,
                data={"grant": grant.number, "due_amount": decision.amount, "planned_amount": tranche.planned_amount},
            )
            notify_people(  # type: ignore[no-untyped-call]
                "tranche_due",
                programme_people(grant.call.programme_id, ProgrammeRole.Role.MANAGER),  # type: ignore[no-untyped-call]
                tranche,
                str(event.seq),
                {
                    "grant": grant.number,
                    "tranche": tranche.position,
                    "amount": str(tranche.due_amount),
                    "currency": grant.currency,
                    "reason": tranche.due_reason,
                    "path": grant_path(grant),
                },
            )
            made.append(tranche)
        else:  # nothing to pay now: the tranche is cancelled and says why
            check(actor, tranche, "cancel")
            transition(
                tranche, "cancel", actor=actor, reason=decision.reason, data={"grant": grant.number, "due_amount": "0"}
            )
    return made


def tranche_conditions_check(*, grant_id: int, actor: User | AnonymousUser | None) -> list[Tranche]:
    """Re-evaluate the grant's tranche conditions and make due the tranches whose condition is
    now met. Idempotent: safe to call after any report approval, payment or resumption.

    Runs after a grantee report's approval has committed (grants/disbursement/receivers.py), and
    from the grant page's "check conditions". Call it once your own transaction has committed
    (`transaction.on_commit`), so that your locks are not held while this one takes the grant's.
    """
    with transaction.atomic():
        grant = grant_lock(grant_id)
        return tranches_evaluate(grant, actor)


def tranche_approve(*, actor: User | AnonymousUser, tranche_id: int, reason: str = "") -> Tranche:
    """A manager approves a due tranche for payment (and so may not record its payment)."""
    grant_id = Tranche.objects.filter(pk=tranche_id).values_list("grant_id", flat=True).first()
    if grant_id is None:
        raise ValidationError(_("This tranche does not exist."))
    with transaction.atomic():
        grant = grant_lock(grant_id)
        tranche: Tranche = lock(Tranche, tranche_id)
        check(actor, tranche, "approve", permission="grants.approve_tranche")
        if grant.state != GrantState.ACTIVE:
            raise TransitionRefused(_("Tranches of a grant that is not active cannot be approved."))
        tranche.approved_by = cast(User, actor)  # allowed to approve: a signed-in user
        tranche.approved_at = timezone.now()
        event = transition(
            tranche,
            "approve",
            actor=actor,
            reason=reason,
            data={"grant": grant.number, "due_amount": tranche.due_amount},
        )
        notify_people(  # type: ignore[no-untyped-call]
            "tranche_approved",
            programme_people(grant.call.programme_id, ProgrammeRole.Role.FINANCE),  # type: ignore[no-untyped-call]
            tranche,
            str(event.seq),
            {
                "grant": grant.number,
                "tranche": tranche.position,
                "amount": str(tranche.due_amount),
                "currency": grant.currency,
                "path": grant_path(grant),
            },
        )
    return tranche


def payment_conversion(
    *, paid_on: date, amount: Decimal, currency: str, grant_currency: str
) -> tuple[Decimal, date | None, Decimal]:
    """(rate, rate month or None, amount in the grant's currency) for a payment."""
    if currency == grant_currency:
        return Decimal("1"), None, cents(amount)
    month = month_start(paid_on)
    rates = exchange_rates_for_month(month)
    try:
        rate = conversion_rate(paid_currency=currency, grant_currency=grant_currency, rates=rates)
    except KeyError as missing:
        raise ValidationError(
            {
                "currency": _(
                    "There is no exchange rate for %(currency)s in %(month)s. A finance officer records it on the exchange "
                    "rates page first."
                )
                % {"currency": missing.args[0], "month": month.strftime("%m/%Y")}
            }
        )
    return rate, month, convert(amount, rate)


def _already_recorded(bank_reference: str) -> ValidationError:
    existing = Payment.objects.filter(bank_reference=bank_reference).select_related("grant", "tranche").first()
    if existing is None:
        return ValidationError({"bank_reference": _("A payment with this bank reference is already recorded.")})
    return ValidationError(
        {
            "bank_reference": _(
                "This payment is already recorded: bank reference %(ref)s paid tranche %(tranche)s of %(grant)s on %(date)s."
            )
            % {
                "ref": existing.bank_reference,
                "tranche": existing.tranche.position,
                "grant": existing.grant.number,
                "date": existing.paid_on.isoformat(),
            }
        }
    )


def payment_record(
    *, actor: User | AnonymousUser, tranche_id: int, paid_on: date, amount: Amount, currency: str, bank_reference: str
) -> Payment:
    """Record the payment of an approved tranche.

    One transaction: lock the grant, then the tranche; refuse a replayed bank reference, the
    approver paying (four eyes), a payment above the tranche's approved amount, above 90% of the
    award before the final report, or above the award; pay the tranche (transition), write the
    payment, raise the grant's paid total (the database refuses paid > awarded too), audit the
    amounts and tell the grantee."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the transfer.")})
    amount = amount_parse(amount, "amount")
    currency = (currency or "").upper()
    if currency not in CURRENCIES:
        raise ValidationError({"currency": _("Choose one of %(list)s.") % {"list": ", ".join(CURRENCIES)}})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    tranche = Tranche.objects.select_related("grant__call").filter(pk=tranche_id).first()
    if tranche is None:
        raise ValidationError(_("This tranche does not exist."))
    require_perm(actor, "grants.pay_tranche", tranche)  # type: ignore[no-untyped-call]
    grant_id = tranche.grant_id
    try:
        with transaction.atomic():
            grant = grant_lock(grant_id)
            if Payment.objects.filter(bank_reference=bank_reference).exists():
                raise _already_recorded(bank_reference)
            rate, rate_month, converted = payment_conversion(
                paid_on=paid_on, amount=amount, currency=currency, grant_currency=grant.currency
            )

            tranche = lock(Tranche, tranche_id)
            check(actor, tranche, "pay", permission="grants.pay_tranche")
            if tranche.approved_by_id == actor.pk:
                raise PermissionDenied(
                    _("You approved this tranche, so someone else must record its payment (four-eyes rule).")
                )
            if grant.state not in PAYABLE_GRANT_STATES:
                raise TransitionRefused(
                    _("Payments are not possible while the grant is %(state)s.")
                    % {"state": grant.get_state_display().lower()}
                )
            if converted > tranche.due_amount:
                raise ValidationError(
                    {
                        "amount": _(
                            "%(converted)s %(grant_currency)s is more than the %(due)s %(grant_currency)s approved for this "
                            "tranche."
                        )
                        % {"converted": converted, "due": tranche.due_amount, "grant_currency": grant.currency}
                    }
                )
            after = grant.paid_total + converted
            if after > grant.amount_awarded:
                raise ValidationError(
                    {
                        "amount": _(
                            "This payment would bring the total paid to %(after)s %(currency)s, above the %(awarded)s awarded."
                        )
                        % {"after": after, "awarded": grant.amount_awarded, "currency": grant.currency}
                    }
                )
            if tranche.condition != TrancheCondition.FINAL_REPORT and after > tranche_rules.prefinancing_cap(
                grant.amount_awarded
            ):
                raise ValidationError(
                    {
                        "amount": _(
                            "Before the final report at most 90%% of the grant (%(cap)s %(currency)s) may be paid; this "
                            "payment would bring it to %(after)s."
                        )
                        % {
                            "cap": cents(tranche_rules.prefinancing_cap(grant.amount_awarded)),
                            "after": after,
                            "currency": grant.currency,
                        }
                    }
                )
            data = {
                "grant": grant.number,
                "amount": amount,
                "currency": currency,
                "exchange_rate": rate,
                "rate_month": rate_month,
                "amount_grant_currency": converted,
                "grant_currency": grant.currency,
                "bank_reference": bank_reference,
                "paid_on": paid_on,
            }
            transition(tranche, "pay", actor=actor, data=data)
            payment = Payment.objects.create(
                tranche=tranche,
                grant=grant,
                paid_on=paid_on,
                amount=amount,
                currency=currency,
                exchange_rate=rate,
                rate_month=rate_month,
                amount_programme_currency=converted,
                bank_reference=bank_reference,
                recorded_by=cast(User, actor),  # allowed to pay: a signed-in user
            )
            Grant.objects.filter(pk=grant.pk).update(paid_total=F("paid_total") + converted)
            event = audit_record(
                actor=actor,
                action="payment_record",
                obj=payment,
                data={
                    **data,
                    "tranche": tranche.position,
                    "paid_total_before": grant.paid_total,
                    "paid_total_after": grant.paid_total + converted,
                },
            )
            thread_event_record(
                application=grant.application,
                scope=ThreadScope.GRANT,
                event=EventKind.PAYMENT_RECORDED,
                actor=actor,
                data={
                    "tranche": tranche.position,
                    "amount": str(converted),
                    "currency": grant.currency,
                    "paid_on": paid_on.isoformat(),
                },
            )
            notify_people(  # type: ignore[no-untyped-call]
                "payment_recorded",
                organisation_member_users(grant.organisation_id),
                payment,
                str(event.seq),
                {
                    "grant": grant.number,
                    "tranche": tranche.position,
                    "amount": str(amount),
                    "currency": currency,
                    "converted": str(converted),
                    "grant_currency": grant.currency,
                    "paid_on": paid_on.isoformat(),
                    "path": grant_path(grant),
                },
            )
            grant.paid_total += converted
            tranches_evaluate(grant, actor)  # an interim report approved earlier may now release the next tranche
    except IntegrityError as exc:  # the database's own guards, should a check above ever be bypassed
        text = str(exc).lower()
        if "bank_reference" in text:
            raise _already_recorded(bank_reference) from exc
        if "tranche_id" in text:
            raise TransitionRefused(_("This tranche is paid already.")) from exc
        if "grant_paid_within_awarded" in text:
            raise ValidationError(
                {"amount": _("This payment would bring the total paid above the amount awarded.")}
            ) from exc
        raise
    return payment


def exchange_rate_record(
    *, actor: User | AnonymousUser, month: date, currency: str, rate: Amount, base: str = "EUR"
) -> ExchangeRate:
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
    recorded_by = cast(User, actor)  # allowed to record rates: a signed-in user
    try:
        with transaction.atomic():
            existing = (
                ExchangeRate.objects.select_for_update().filter(month=month, base=base, currency=currency).first()
            )
            if existing is None:
                obj = ExchangeRate.objects.create(
                    month=month, base=base, currency=currency, rate=rate, recorded_by=recorded_by
                )
                audit_record(
                    actor=actor,
                    action="exchange_rate_record",
                    obj=obj,
                    data={"month": month, "base": base, "currency": currency, "rate": rate},
                )
                return obj
            if existing.rate == rate:
                return existing
            if (month, currency) in exchange_rates_used([month]):
                raise ValidationError(
                    {
                        "rate": _("Payments already used the %(currency)s rate of %(month)s; it can no longer change.")
                        % {"currency": currency, "month": month.strftime("%m/%Y")}
                    }
                )
            before = existing.rate
            existing.rate, existing.recorded_by = rate, recorded_by
            existing.save(update_fields=["rate", "recorded_by"])
            audit_record(
                actor=actor,
                action="exchange_rate_change",
                obj=existing,
                data={"month": month, "base": base, "currency": currency, "before": before, "rate": rate},
            )
            return existing
    except IntegrityError:
        raise ValidationError({"month": _("This rate was just recorded by someone else; reload the page.")})
