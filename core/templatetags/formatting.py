"""`{{ moment|when }}`, `{{ amount|money:currency }}`, `{{ n|number }}`: what people read, one way
per language (`core.formatting`). Built-ins of the templates (settings.TEMPLATES)."""

from datetime import UTC, datetime
from decimal import Decimal

from django import template

from core.formatting import moment_text, money_text, number_text

register = template.Library()


@register.filter
def when(value: datetime | None) -> str:
    """ "4 Dec 2026, 17:00 (Kyiv)": the language's DATETIME_FORMAT in the current zone, with its city."""
    return moment_text(value) if isinstance(value, datetime) else ("—" if value in (None, "") else str(value))


@register.filter
def money(value: Decimal | None, currency: object = "") -> str:
    """ "600,000.00 EUR" / "600 000,00 EUR": grouped, two decimals, with the currency."""
    return money_text(value, currency)


@register.filter
def number(value: Decimal | int | None, places: int = 0) -> str:
    """A count or figure grouped as the language writes it ("12,345" / "12 345")."""
    return number_text(value, int(places))


@register.filter
def when_utc(value: datetime | None) -> str:
    """The same moment in UTC ("4 Dec 2026, 15:00 (UTC)"), where a record must name one clock."""
    return moment_text(value, zone=UTC) if isinstance(value, datetime) else "—"
