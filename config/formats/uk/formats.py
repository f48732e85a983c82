"""Ukrainian: `4 грудня 2026 р.`, `4 грудня 2026 р., 17:00`, `600 000,00` (Django's own, with the day
unpadded as the browser's Intl writes it)."""

from django.conf.locale.uk.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS, TIME_INPUT_FORMATS  # noqa: F401

DATE_FORMAT = "j E Y р."
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y р., H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j E"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # a no-break space
NUMBER_GROUPING = 3
