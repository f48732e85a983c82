"""Threads in the browser: a manager asks for a clarification, the applicant answers in the thread
with a file, a second clarification keeps the first in sight; a grantee and a finance officer
exchange messages on a grant; one message reaches three organisations, each in its own thread."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sevan-threads-2026"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def scene(db, settings, tmp_path):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from applications.models import ApplicationState
    from grants.calls.models import CallState, Programme
    from tests.factories import application_in_state, call_full

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2030, 8, 30),
        countries=["UA", "GE", "AM"],
    )
    people = people_create(
        programme,
        PASSWORD,
        [
            ("manager", "maria@eu4i.org", "Maria Ionescu", ProgrammeRole.Role.MANAGER),
            ("finance", "nino@eu4i.org", "Nino Beridze", ProgrammeRole.Role.FINANCE),
            ("olena", "olena@cso.org.ua", "Olena Kovalenko", None),
            ("giorgi", "giorgi@cso.ge", "Giorgi Lomidze", None),
            ("ani", "ani@cso.am", "Ani Petrosyan", None),
        ],
    )
    call = call_full(programme, code="adv", state=CallState.OPEN, envelope="500000")
    apps = {}
    for key, name, country, reg in [
        ("olena", "Centre for Civic Control", "UA", "UA-EDR-35960913"),
        ("giorgi", "Open Tbilisi", "GE", "GE-NAPR-404123456"),
        ("ani", "Yerevan Watch", "AM", "AM-SRALE-222.110.01234"),
    ]:
        org = Organisation.objects.create(legal_name=name, country=country, org_type="ngo", registration_id=reg)
        Membership.objects.create(organisation=org, user=people[key], role="owner")
        apps[key] = application_in_state(call, org, people[key], ApplicationState.SUBMITTED, title=f"Project of {name}")
    pdf = tmp_path / "regions-map.pdf"
    pdf.write_bytes(PDF)
    return {**people, "call": call, "apps": apps, "pdf": pdf, "programme": programme}


def _ask(page, base, app, question):
    page.goto(f"{base}/applications/{app.pk}/")
    form = page.locator("form[action$='/screen/clarification/']")
    form.locator("textarea").fill(question)
    form.locator("input[type=datetime-local]").fill((date.today() + timedelta(days=10)).strftime("%Y-%m-%dT12:00"))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_clarification_rounds_and_an_answer_with_a_file_stay_in_the_thread(page, live_server, scene):
    base, app = live_server.url, scene["apps"]["olena"]

    log_in(page, base, scene["manager"].email, PASSWORD)
    _ask(page, base, app, "Which regions exactly will the monitors cover?")
    log_out(page)

    log_in(page, base, scene["olena"].email, PASSWORD)
    expect(page.locator(".messages-link .badge")).to_be_visible()
    page.goto(f"{base}/messages/")
    page.get_by_role("link", name=re.compile(app.reference)).click()
    expect(page.get_by_text("Which regions exactly will the monitors cover?")).to_be_visible()
    page.get_by_label("Your message").fill("Chernihiv and Sumy oblasts; the map is attached.")
    page.get_by_label("Files (optional)").set_input_files(str(scene["pdf"]))
    expect(page.get_by_label("This message answers the clarification request")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your answer was sent")).to_be_visible()
    expect(page.get_by_role("link", name="regions-map.pdf")).to_be_visible()
    log_out(page)

    log_in(page, base, scene["manager"].email, PASSWORD)
    _ask(page, base, app, "Please also send the signed partnership letter.")
    log_out(page)

    log_in(page, base, scene["olena"].email, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/applications/{app.pk}/messages/")
    items = page.locator("ol.thread > li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("Which regions exactly will the monitors cover?")
    expect(items.nth(1)).to_contain_text("Chernihiv and Sumy oblasts")
    expect(items.nth(2)).to_contain_text("Please also send the signed partnership letter.")
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 390  # the thread needs no sideways scroll


def test_grantee_and_finance_officer_exchange_messages_on_a_grant(page, live_server, scene):
    from django.db.models import F

    from applications.models import ApplicationState
    from grants.calls.models import Call, CallState
    from grants.disbursement.lifecycle import grant_create_from_application
    from tests.factories import application_in_state, call_full

    base = live_server.url
    decided = call_full(scene["programme"], code="inn", state=CallState.DECIDED, envelope="500000")
    org = scene["apps"]["giorgi"].organisation
    # Set-up only: the review part's award service leaves an application like this.
    app = application_in_state(decided, org, scene["giorgi"], ApplicationState.REVIEWED, title="Open budgets")
    app.award()
    app.awarded_amount = Decimal("40000")
    app.save()
    Call.objects.filter(pk=decided.pk).update(awarded_total=F("awarded_total") + app.awarded_amount)
    grant = grant_create_from_application(actor=scene["manager"], application_id=app.pk)

    log_in(page, base, scene["giorgi"].email, PASSWORD)
    page.goto(f"{base}/grants/{grant.pk}/")
    page.get_by_role("link", name="Messages about this grant").click()
    page.get_by_label("Your message").fill("Can the first tranche go to our new bank account?")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    log_out(page)

    log_in(page, base, scene["finance"].email, PASSWORD)
    page.goto(f"{base}/messages/")
    page.get_by_role("link", name=re.compile(grant.number)).click()
    expect(page.get_by_text("Can the first tranche go to our new bank account?")).to_be_visible()
    page.get_by_label("Your message").fill("Yes: send the bank's letter with the new account.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    log_out(page)

    log_in(page, base, scene["giorgi"].email, PASSWORD)
    page.goto(f"{base}/grants/{grant.pk}/messages/")
    expect(page.get_by_text("Yes: send the bank's letter with the new account.")).to_be_visible()
    expect(page.locator("ol.thread > li.from-staff")).to_contain_text("Nino Beridze")


def test_a_bulk_message_reaches_three_organisations(page, live_server, scene):
    base = live_server.url
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/messages/")
    page.get_by_role("link", name="Send a message to many organisations").click()
    page.get_by_label("Every organisation that applied to a call").check()
    page.get_by_label("Call", exact=True).select_option(str(scene["call"].pk))
    page.get_by_label("Message").fill("The online information session is on Friday at 11:00.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("The message was sent to 3 organisations")).to_be_visible()
    log_out(page)

    for key in ("olena", "giorgi", "ani"):
        log_in(page, base, scene[key].email, PASSWORD)
        page.goto(f"{base}/messages/")
        page.get_by_role("link", name=re.compile(scene["apps"][key].reference)).click()
        expect(page.get_by_text("The online information session is on Friday at 11:00.")).to_be_visible()
        expect(page.locator("ol.thread > li")).to_have_count(1)
        log_out(page)
