"""The rules that decide tranche plans, amounts due and budget flexibility, as pure functions.

No database here: the services gather the figures (payments, spending of approved reports,
the approved budget) and these functions decide, in words a grantee can read. The tests check
them on hand-computed cases.

EU practice (PRAG general conditions, art. 15), defaults a call may change:
- pre-financing (every tranche before the one paid after the final report) is at most 90% of
  the grant, so at least 10% waits for the final report;
- a further pre-financing tranche is paid in full only when at least 70% of the previous
  payment and 100% of all earlier payments are spent; otherwise it is reduced by the difference
  between that requirement and what was actually spent;
- the balance is paid after the final report, capped at eligible spending minus what was paid;
- money moves between budget headings without an amendment while no heading changes by more
  than the flexibility limit (25%, or an older 15%), cumulatively against the approved budget.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.money import cents, to_decimal
from grants.disbursement.money import HUNDRED, Amount, allocate

SIGNATURE = "signature"
INTERIM_REPORT = "interim_report"
FINAL_REPORT = "final_report"

PREFINANCING_MAX_PCT = Decimal("90")
INTERIM_SPENT_PCT = Decimal("70")
PAYMENT_TERM_DAYS = 30  # a due tranche unpaid this long after its condition was met is overdue

# The DESIGN.md default when a call has no tranche plan of its own: 40% / 40% / 20%.
DEFAULT_PLAN = [(Decimal("40"), SIGNATURE), (Decimal("40"), INTERIM_REPORT), (Decimal("20"), FINAL_REPORT)]

ZERO = Decimal("0.00")


# --- Tranche plans ---------------------------------------------------------------------------


def plan_problems(plan: Sequence[tuple[Amount, str]]) -> list[str]:
    """Why a tranche plan [(share_pct, condition), …] cannot make a grant, in words."""
    if not plan:
        return [_("The tranche plan is empty.")]
    problems = []
    shares = [to_decimal(share) for share, _condition in plan]
    conditions = [condition for _share, condition in plan]
    if any(share <= 0 for share in shares):
        problems.append(_("Every tranche needs a positive share."))
    total = sum(shares, Decimal("0"))
    if total != HUNDRED:
        problems.append(_("The tranche shares add up to %(total)s%%, not 100%%.") % {"total": total})
    if conditions[-1] != FINAL_REPORT or conditions.count(FINAL_REPORT) != 1:
        problems.append(_("The last tranche, and only the last, is paid after the final report is approved."))
    prefinancing = sum(shares[:-1], Decimal("0"))
    if prefinancing > PREFINANCING_MAX_PCT:
        problems.append(
            _(
                "Pre-financing (the tranches before the final report) is %(pct)s%%; it may be at most "
                "%(max)s%%, so that at least %(rest)s%% waits for the final report."
            )
            % {"pct": prefinancing, "max": PREFINANCING_MAX_PCT, "rest": HUNDRED - PREFINANCING_MAX_PCT}
        )
    return problems


def plan_amounts(awarded: Amount, plan: Sequence[tuple[Amount, str]]) -> list[Decimal]:
    """Planned amounts in cents for each tranche; the last one takes the rounding remainder."""
    return allocate(awarded, [share for share, _condition in plan])


def prefinancing_cap(awarded: Amount) -> Decimal:
    """The most that may be paid before the final report: 90% of the award (exact, no rounding up)."""
    return to_decimal(awarded) * PREFINANCING_MAX_PCT / HUNDRED


def amounts_problems(awarded: Amount, amounts: Sequence[Amount], conditions: Sequence[str]) -> list[str]:
    """The same 90% rule on amounts (rounding must not push pre-financing over the cap)."""
    prefinancing = sum(
        (to_decimal(a) for a, c in zip(amounts, conditions, strict=True) if c != FINAL_REPORT), Decimal("0")
    )
    if prefinancing > prefinancing_cap(awarded):
        return [
            _("Pre-financing of %(amount)s would exceed 90%% of the grant (%(cap)s).")
            % {"amount": prefinancing, "cap": cents(prefinancing_cap(awarded))}
        ]
    return []


# --- Amounts due -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDecision:
    amount: Decimal  # what becomes due (0: nothing to pay)
    reason: str  # why, in words, shown to the grantee and the manager


def signature_due(*, planned: Amount) -> DueDecision:
    planned = cents(planned)
    return DueDecision(planned, _("Due on signature of the agreement: the planned %(planned)s.") % {"planned": planned})


def interim_required(payments: Sequence[Amount]) -> Decimal:
    """What must be spent before a further pre-financing tranche is paid in full: 70% of the
    last payment plus 100% of every earlier one."""
    decimals = [to_decimal(p) for p in payments]
    if not decimals:
        return ZERO
    return cents(decimals[-1] * INTERIM_SPENT_PCT / HUNDRED + sum(decimals[:-1], Decimal("0")))


def interim_due(*, planned: Amount, payments: Sequence[Amount], spent: Amount) -> DueDecision:
    """A tranche released by an approved interim report.

    `payments`: the earlier payments in the order they were made (grant currency);
    `spent`: eligible spending of the approved reports (declared minus ineligible).
    """
    planned, spent = cents(planned), cents(spent)
    payments = [cents(p) for p in payments]
    required = interim_required(payments)
    figures = {
        "planned": planned,
        "spent": spent,
        "required": required,
        "last": payments[-1] if payments else ZERO,
        "earlier": sum(payments[:-1], ZERO),
    }
    if spent >= required:
        return DueDecision(
            planned,
            _(
                "Interim report approved and %(spent)s spent, at least the %(required)s required (70%% of the last "
                "payment of %(last)s plus all earlier payments, %(earlier)s): the planned %(planned)s is due in full."
            )
            % figures,
        )
    shortfall = required - spent
    amount = max(ZERO, planned - shortfall)
    figures.update(shortfall=shortfall, amount=amount)
    if amount == 0:
        return DueDecision(
            ZERO,
            _(
                "Interim report approved, but only %(spent)s is spent of the %(required)s required (70%% of the last "
                "payment of %(last)s plus all earlier payments, %(earlier)s). The shortfall of %(shortfall)s is larger "
                "than the planned %(planned)s, so nothing is paid now; the balance after the final report settles it."
            )
            % figures,
        )
    return DueDecision(
        amount,
        _(
            "Interim report approved, but only %(spent)s is spent of the %(required)s required (70%% of the last payment "
            "of %(last)s plus all earlier payments, %(earlier)s). The planned %(planned)s is reduced by the unspent "
            "%(shortfall)s: %(amount)s is due."
        )
        % figures,
    )


def balance_due(*, awarded: Amount, paid: Amount, committed_other: Amount, eligible_spent: Amount) -> DueDecision:
    """The balance after the final report: what is left of the award, capped at eligible
    spending minus what was paid (and what other tranches already owe)."""
    awarded, paid, committed_other, eligible_spent = (
        cents(awarded),
        cents(paid),
        cents(committed_other),
        cents(eligible_spent),
    )
    left = awarded - paid - committed_other
    cap = eligible_spent - paid - committed_other
    amount = max(ZERO, min(left, cap))
    figures = {
        "awarded": awarded,
        "paid": paid,
        "committed": committed_other,
        "eligible": eligible_spent,
        "left": left,
        "cap": cap,
        "amount": amount,
        "recover": -cap,
    }
    if cap < 0:
        return DueDecision(
            ZERO,
            _(
                "Final report approved. Eligible spending (%(eligible)s) is below what was paid (%(paid)s): no balance "
                "is due and %(recover)s is to be recovered from the grantee."
            )
            % figures,
        )
    if cap < left:
        return DueDecision(
            amount,
            _(
                "Final report approved. The balance is capped at eligible spending (%(eligible)s) minus what was paid "
                "(%(paid)s) and what other tranches owe (%(committed)s): %(amount)s is due instead of the %(left)s left "
                "of the award."
            )
            % figures,
        )
    return DueDecision(
        amount,
        _(
            "Final report approved. Eligible spending (%(eligible)s) covers the rest of the award: %(amount)s is due "
            "(%(awarded)s awarded, %(paid)s paid, %(committed)s owed on other tranches)."
        )
        % figures,
    )
