"""Money arithmetic for grants: Decimal only, never float; rounding to cents is core.money.cents.

Pure functions (no database): the services and the tests call them with plain values.
"""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeAlias

from core.money import cents, to_decimal

RATE_PLACES = Decimal("0.000001")  # ExchangeRate.rate and Payment.exchange_rate have 6 decimals
HUNDRED = Decimal("100")

Amount: TypeAlias = Decimal | int | str  # what `to_decimal` takes (a float is refused)


def rate_round(value: Amount) -> Decimal:
    return to_decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def percent_of(amount: Amount, pct: Amount) -> Decimal:
    """`pct` percent of `amount`, in cents."""
    return cents(to_decimal(amount) * to_decimal(pct) / HUNDRED)


def allocate(total: Amount, shares_pct: Sequence[Amount]) -> list[Decimal]:
    """Split `total` by percentage shares; every part is rounded to cents and the last part
    takes the rounding remainder, so the parts always add up to `total` exactly."""
    total = cents(total)
    if not shares_pct:
        return []
    parts = [percent_of(total, share) for share in shares_pct[:-1]]
    parts.append(total - sum(parts, Decimal("0")))
    return parts


def scale(amounts: Sequence[Amount], target_total: Amount) -> list[Decimal]:
    """Scale `amounts` proportionally so they add up to `target_total` (e.g. an approved budget
    when the award was reduced); each in cents, the last takes the remainder."""
    target_total = cents(target_total)
    decimals = [to_decimal(a) for a in amounts]
    if not decimals:
        return []
    source_total = sum(decimals, Decimal("0"))
    if source_total == 0:
        return [Decimal("0.00")] * (len(decimals) - 1) + [target_total]
    parts = [cents(a * target_total / source_total) for a in decimals[:-1]]
    parts.append(target_total - sum(parts, Decimal("0")))
    return parts


def month_start(day: date) -> date:
    return day.replace(day=1)


def conversion_rate(
    *, paid_currency: str, grant_currency: str, rates: dict[str, Decimal], base: str = "EUR"
) -> Decimal:
    """Units of `paid_currency` per one unit of `grant_currency`, from monthly rates quoted
    against `base` (1 base = rates[c] units of c). Same currency: 1.

    Raises KeyError naming the currency whose rate is missing.
    """
    if paid_currency == grant_currency:
        return Decimal("1")
    paid_rate = Decimal("1") if paid_currency == base else rates[paid_currency]
    grant_rate = Decimal("1") if grant_currency == base else rates[grant_currency]
    if grant_currency == base:
        return to_decimal(paid_rate)  # the usual case: a EUR grant paid in UAH, AMD, GEL…
    return rate_round(to_decimal(paid_rate) / to_decimal(grant_rate))


def convert(amount: Amount, rate: Amount) -> Decimal:
    """`amount` in the paid currency → the grant's currency: amount / rate, rounded to cents."""
    rate = to_decimal(rate)
    if rate <= 0:
        raise ValueError("an exchange rate is positive")
    return cents(to_decimal(amount) / rate)
