"""The time zone a person reads times in: the one they chose, else the one of their
organisation's country (set when they register or join it), else the site's."""

import zoneinfo
from functools import cache

from django.conf import settings

# The programme's countries; a country not listed leaves the site's zone.
COUNTRY_TIME_ZONES = {
    "UA": "Europe/Kyiv",
    "AM": "Asia/Yerevan",
    "GE": "Asia/Tbilisi",
    "MD": "Europe/Chisinau",
    "AZ": "Asia/Baku",
    "BY": "Europe/Minsk",
}


@cache
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith("Etc/")))


def time_zone_valid(name: str) -> bool:
    return name in time_zone_names() or name == "UTC"


def country_time_zone(country: str) -> str:
    return COUNTRY_TIME_ZONES.get((country or "").upper(), "")


def user_time_zone(user) -> str:
    name = getattr(user, "time_zone", "") or ""
    return name if name and time_zone_valid(name) else settings.TIME_ZONE
