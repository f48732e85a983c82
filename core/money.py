"""Money is `Decimal` with its currency, rounded to cents half up (as accounting does); never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.formatting import decimal_normalise, number_text

CENT = Decimal("0.01")


def to_decimal(value: Decimal | int | str | None) -> Decimal:
    """A Decimal from a Decimal, int or string; floats are refused (they are not money)."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal or a string")
    if value is None:
        raise TypeError("no amount given")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cents(value: Decimal | int | str | None) -> Decimal:
    """`value` rounded to cents, halves away from zero (ROUND_HALF_UP). Floats and None are refused:
    a caller with an optional amount says what None means (`cents(x or 0)`, or keeps None)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


AMOUNT_MAX_DIGITS = 14  # the amount columns: DecimalField(max_digits=14, decimal_places=2)


def amount_parse(
    raw: object, *, allow_zero: bool = False, max_digits: int = AMOUNT_MAX_DIGITS, label: str | None = None
) -> Decimal:
    """The amount a person typed or a client sent, checked the same way for pages, autosave and API:
    a finite number, more than 0 (or 0 itself where `allow_zero`), at most two decimals (never rounded
    silently) and below the largest amount the database column holds. The language's separators are
    read (`core.formatting.decimal_normalise`): "1 000,50" and, in English, "1,000.50" read as 1000.50.
    Raises Django's `ValidationError` with a message in the user's language; the caller names the field."""
    if isinstance(raw, float):
        raw = repr(raw)  # a JSON number: its shortest exact text, then checked like any other
    text = decimal_normalise(str(raw if raw is not None else ""))
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number."), code="invalid")
    if not value.is_finite():
        raise ValidationError(_("Enter a number."), code="invalid")
    if value < 0 or (value == 0 and not allow_zero):
        if allow_zero:
            raise ValidationError(_("Enter an amount of 0 or more."), code="min_value")
        raise ValidationError(_("Enter an amount greater than 0."), code="min_value")
    limit = Decimal(10) ** (max_digits - 2)
    if value >= limit:
        raise ValidationError(_("Enter an amount below %(limit)s.") % {"limit": number_text(limit)}, code="max_value")
    _sign, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and exponent < -2 and any(digits[exponent + 2 :]):  # a digit beyond the cents
        raise ValidationError(_("Amounts have at most two decimals."), code="max_decimal_places")
    return value.quantize(CENT)
