"""Money is `Decimal` with its currency, rounded to cents half up (as accounting does); never float."""

from decimal import ROUND_HALF_UP, Decimal

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
