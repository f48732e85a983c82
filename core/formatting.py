"""One formatting rule per language for what people read: pages, PDFs, e-mails and exports.

The patterns live in `config/formats/<lang>/formats.py` (FORMAT_MODULE_PATH); this module adds
what Django's formats do not: a moment with its time zone's city name ("4 Dec 2026, 17:00
(Kyiv)", "04.12.2026, 17:00 (Київ)"), an amount always with its currency, grouped numbers
regardless of USE_THOUSAND_SEPARATOR, and reading an amount typed the language's way.
`static/js/site.js` writes the browser's times with the same patterns.
"""

from contextlib import nullcontext
from datetime import date, datetime, tzinfo
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from django.utils import formats, timezone, translation

# Zones renamed in the tz database after CLDR named them (CLDR keeps the old id).
_CLDR_ZONE_ALIASES = {"Europe/Kyiv": "Europe/Kiev", "Europe/Kiev": "Europe/Kiev"}


def zone_city(zone: tzinfo | str | None = None, language: str | None = None) -> str:
    """The city that names a time zone, in `language` (the active one by default): "Kyiv",
    "Київ", "Կիև"; "UTC" for UTC. Falls back to the zone id's last part."""
    if zone is None:
        zone = timezone.get_current_timezone()
    name = zone if isinstance(zone, str) else str(getattr(zone, "key", None) or zone)
    if name in ("UTC", "Etc/UTC", "GMT"):
        return "UTC"
    lang = (language or translation.get_language() or "en").split("-")[0]
    try:
        names = Locale.parse(lang).time_zones.get(_CLDR_ZONE_ALIASES.get(name, name), {})
    except (UnknownLocaleError, ValueError):
        names = {}
    city = names.get("city")
    if not city and lang != "en":
        return zone_city(name, "en")
    return str(city or name.rsplit("/", 1)[-1].replace("_", " "))


def moment_text(moment: datetime | None, *, zone: tzinfo | None = None) -> str:
    """A moment as people read it: in `zone` (the current one by default), the language's
    DATETIME_FORMAT, then the zone's city: "4 Dec 2026, 17:00 (Kyiv)". Never seconds or ISO."""
    if moment is None:
        return "—"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    zone = zone or timezone.get_current_timezone()
    local = timezone.localtime(moment, zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone_city(zone)})"


def day_text(day: date | datetime | None, *, short: bool = False) -> str:
    """A date in the language's order: "4 Dec 2026", "4 грудня 2026 р.", "04.12.2026"."""
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = timezone.localtime(day) if timezone.is_aware(day) else day
    return str(formats.date_format(day, "SHORT_DATE_FORMAT" if short else "DATE_FORMAT"))


def number_text(value: Decimal | int | float | str | None, places: int = 0) -> str:
    """A number grouped and with the decimal separator as the language writes them:
    en `600,000.00`, uk/hy `600 000,00` (a no-break space between thousands)."""
    if value is None or value == "":
        return "—"
    return str(formats.number_format(Decimal(str(value)), places, use_l10n=True, force_grouping=True))


def money_text(amount: Decimal | int | str | None, currency: object = "", places: int = 2) -> str:
    """An amount with its currency, the language's way: "600,000.00 EUR", "600 000,00 EUR"."""
    if amount is None or amount == "":
        return "—"
    if hasattr(amount, "amount") and hasattr(amount, "currency"):  # a djmoney Money
        currency = currency or amount.currency
        amount = amount.amount
    code = str(getattr(currency, "code", currency) or "")
    text = number_text(amount, places)
    return f"{text}\xa0{code}" if code else text


def decimal_normalise(raw: str, language: str | None = None) -> str:
    """Text typed as a number in `language`, as Python's Decimal reads it: the group separators
    (spaces, no-break spaces, apostrophes, and the language's own) dropped, its decimal separator
    turned into ".". A comma alone is always read as decimals ("1000,50"); in English "1,000.50"
    reads as one thousand, in Ukrainian "1.000,50" as one thousand too."""
    text = str(raw).strip()
    for space in (" ", "\u00a0", "\u202f", "\u2009", "'", "’"):
        text = text.replace(space, "")
    if "," in text and "." in text:
        # Both: whichever comes last is the decimal separator, the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        return text
    with translation.override(language) if language else nullcontext():
        decimal_separator = str(formats.get_format("DECIMAL_SEPARATOR"))
    if "," in text:
        if text.count(",") > 1 or (decimal_separator == "." and _grouped_thousands(text, ",")):
            return text.replace(",", "")  # "1,000" or "1,000,000" in English: thousands
        return text.replace(",", ".")
    if "." in text and text.count(".") > 1:
        return text.replace(".", "")  # "1.000.000": thousands grouped with points
    return text


def _grouped_thousands(text: str, separator: str) -> bool:
    """ "1,000" and "12,345": a separator followed by exactly three digits, as thousands are."""
    head, _sep, tail = text.rpartition(separator)
    return len(tail) == 3 and tail.isdigit() and head.lstrip("+-").replace(separator, "").isdigit()
