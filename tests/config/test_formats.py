"""One formatting rule per language: what pages, PDFs, e-mails and forms show and accept."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from core.formatting import decimal_normalise, moment_text, money_text, zone_city
from core.forms import LocalDecimalField
from core.money import amount_parse
from workers.rendering import when_format

MOMENT = datetime(2026, 12, 4, 15, 5, 30, 123456, tzinfo=UTC)  # 17:05 in Kyiv


@pytest.mark.parametrize(
    ("language", "moment", "day", "money"),
    [
        ("en", "4 Dec 2026, 17:05 (Kyiv)", "4 Dec 2026", "600,000.00\xa0EUR"),
        ("uk", "4 грудня 2026 р., 17:05 (Київ)", "4 грудня 2026 р.", "600\xa0000,00\xa0EUR"),
        ("hy", "04.12.2026, 17:05 (Կիև)", "04.12.2026", "600\xa0000,00\xa0EUR"),
    ],
)
def test_each_language_writes_dates_times_and_amounts_its_own_way(language, moment, day, money):
    with translation.override(language), timezone.override(ZoneInfo("Europe/Kyiv")):
        assert moment_text(MOMENT) == moment
        assert money_text(Decimal("600000"), "EUR") == money
        page = Template('{{ m|when }}|{{ d|date:"DATE_FORMAT" }}|{{ a|money:"EUR" }}|{{ a|floatformat:"2g" }}').render(
            Context({"m": MOMENT, "d": date(2026, 12, 4), "a": Decimal("600000")})
        )
        assert page == f"{moment}|{day}|{money}|{money[: -len(' EUR')]}"
        assert when_format(MOMENT.isoformat()) == moment  # e-mails say it the same way
        assert "123456" not in page and "T15" not in page  # never microseconds or ISO


def test_a_time_names_its_zone_by_its_city():
    assert zone_city("Asia/Yerevan", "hy") == "Երևան"
    assert zone_city("America/New_York", "en") == "New York"
    assert zone_city("UTC", "uk") == "UTC"
    with translation.override("en"), timezone.override(ZoneInfo("Asia/Yerevan")):
        assert moment_text(MOMENT) == "4 Dec 2026, 19:05 (Yerevan)"


@pytest.mark.parametrize(
    ("language", "typed", "value"),
    [
        ("en", "1,000.50", "1000.50"),
        ("en", "1,000", "1000.00"),
        ("en", "1000.5", "1000.50"),
        ("en", "12,5", "12.50"),
        ("uk", "1 000,50", "1000.50"),
        ("uk", "1\xa0000,50", "1000.50"),
        ("uk", "1.000,50", "1000.50"),
        ("uk", "1000,5", "1000.50"),
        ("uk", "1,5", "1.50"),
        ("hy", "600 000,00", "600000.00"),
        ("hy", "2.5", "2.50"),
    ],
)
def test_amounts_are_read_with_the_languages_separators(language, typed, value):
    with translation.override(language):
        assert amount_parse(typed) == Decimal(value)
        field = LocalDecimalField(max_digits=14, decimal_places=2)
        assert field.clean(typed) == Decimal(value)
    assert Decimal(decimal_normalise(typed, language)) == Decimal(value)


def test_a_number_field_shows_the_languages_decimal_separator_and_accepts_it():
    field = LocalDecimalField(max_digits=14, decimal_places=2)
    with translation.override("uk"):
        html = field.widget.render("amount", Decimal("1234.50"))
        assert 'value="1234,50"' in html and 'inputmode="decimal"' in html and 'type="text"' in html
    with translation.override("en"):
        assert 'value="1234.50"' in field.widget.render("amount", Decimal("1234.50"))


@pytest.mark.parametrize(("language", "text"), [("en", "16,000.00 EUR"), ("uk", "16\xa0000,00 EUR")])
def test_e_mails_write_amounts_the_readers_way(language, text):
    from workers.notifications import KINDS
    from workers.rendering import context_localise

    kind = KINDS["tranche_approved"]
    with translation.override(language):
        context = context_localise(kind, {"amount": "16000.00", "currency": "EUR", "tranche": 1}, language)
    assert f"{context['amount']} {context['currency']}" == text
