"""Server dates and the browser's agree: a visitor in the site's zone keeps the server's text (with
its city); a visitor elsewhere sees the same moment in their zone, written in the same pattern and
named by their city. Checked at 390 px, in English and Ukrainian."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEADLINE = datetime(2030, 3, 14, 15, 30, tzinfo=ZoneInfo("Europe/Kyiv"))


@pytest.fixture
def open_call(db):
    from grants.calls.models import Programme
    from tests.factories import call_full

    programme = Programme.objects.create(
        code="eu4i", title="EU for Integrity", budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1), ends_on=date(2031, 8, 30), countries=["UA", "AM"],
    )  # fmt: skip
    return call_full(programme, deadline=DEADLINE)


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        ("Europe/Kyiv", "en", "14 Mar 2030, 15:30 (Kyiv)"),
        ("Europe/Kyiv", "uk", "14 березня 2030 р., 15:30 (Київ)"),
        ("America/New_York", "en", "14 Mar 2030, 09:30 (New York)"),
        ("Asia/Yerevan", "hy", "14.03.2030, 17:30 (Yerevan)"),
    ],
)
def test_a_deadline_reads_the_same_on_the_server_and_in_the_browser(
    open_call, live_server, browser, zone, language, expected
):
    context = browser.new_context(
        locale=language, timezone_id=zone, viewport={"width": 390, "height": 844}, extra_http_headers={}
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/calls/{open_call.pk}/")
        deadline = page.locator("time[data-local-time]").last
        expect(deadline).to_have_text(expected)
        assert not re.search(r"\d{4}-\d\d-\d\dT|\.\d{6}", page.locator("main").inner_text())  # no ISO, no µs
    finally:
        context.close()
