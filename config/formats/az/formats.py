"""Azerbaijani: `04.12.2026`, `04.12.2026, 17:00`, `600.000,00`, as CLDR's `az` writes them."""

from config.formats.numeric import *  # noqa: F403  (day.month.year, a 24-hour clock, comma decimals)

THOUSAND_SEPARATOR = "."
