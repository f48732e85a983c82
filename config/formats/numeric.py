"""Day.month.year dates and a 24-hour clock, as Armenian, Georgian, Romanian, Azerbaijani and
Russian write them (`04.12.2026`, `04.12.2026, 17:00`); each language's module adds its number
separators. The browser's times follow the same pattern (static/js/site.js)."""

DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y, %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M"]
DECIMAL_SEPARATOR = ","
NUMBER_GROUPING = 3
