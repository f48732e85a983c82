"""From signature to the first payment, in the browser: the manager uploads the signed
agreement (the first tranche becomes due) and approves the tranche; the finance officer records
the month's hryvnia rate and the payment; the grantee sees what was paid and when."""

import re
from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kazbegi-payments-2026"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def scene(db, settings, tmp_path):
    from django.db.models import F

    from accounts.models import Membership, Organisation, ProgrammeRole
    from applications.models import ApplicationState
    from grants.calls.models import Call, CallState, Programme
    from grants.disbursement.lifecycle import grant_create_from_application
    from tests.factories import application_in_state, call_full

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2024, 8, 30),
        countries=["UA", "GE"],
    )
    people = people_create(
        programme,
        PASSWORD,
        [
            ("manager", "maria@eu4i.org", "Maria Ionescu", ProgrammeRole.Role.MANAGER),
            ("finance", "nino@eu4i.org", "Nino Beridze", ProgrammeRole.Role.FINANCE),
            ("grantee", "olena@cso.org.ua", "Olena Kovalenko", None),
        ],
    )
    call = call_full(programme, code="adv", state=CallState.DECIDED, envelope="500000")
    org = Organisation.objects.create(
        legal_name="Centre for Civic Control", country="UA", org_type="ngo", registration_id="UA-EDR-35960913"
    )
    Membership.objects.create(organisation=org, user=people["grantee"], role="owner")
    # Set-up only: the review part's award service leaves an application like this.
    app = application_in_state(
        call, org, people["grantee"], ApplicationState.REVIEWED, requested="40000", title="Open budgets in Chernihiv"
    )
    app.award()
    app.awarded_amount = Decimal("40000")
    app.save()
    Call.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + app.awarded_amount)
    grant = grant_create_from_application(actor=people["manager"], application_id=app.pk)
    pdf = tmp_path / "agreement-signed.pdf"
    pdf.write_bytes(PDF)
    return {**people, "grant": grant, "pdf": pdf}


def test_signature_to_first_payment(page, live_server, scene):
    from grants.agreements.models import Grant
    from grants.disbursement.models import Payment

    base, grant = live_server.url, scene["grant"]
    month = date.today().strftime("%Y-%m")

    # 1. The manager opens the draft agreement and records the signature.
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/grants/")
    page.get_by_role("link", name=grant.number).click()
    expect(page.locator("#grant-state")).to_have_text("Draft")
    page.get_by_role("link", name="Record the signature").click()
    page.get_by_label(re.compile(r"^Signed agreement \(PDF\)")).set_input_files(str(scene["pdf"]))
    with page.expect_navigation():
        page.get_by_role("button", name="Record the signature").click()
    expect(page.locator(".messages")).to_contain_text("The signature is recorded")
    expect(page.locator("#grant-state")).to_have_text("Active")
    first = page.locator("#tranche-1")
    expect(first).to_contain_text("Due")
    expect(first).to_contain_text("16,000.00")
    expect(page.locator("#tranche-2")).to_contain_text("Planned")

    # 2. … and approves the first tranche for payment; they are not offered to pay it.
    with page.expect_navigation():
        page.get_by_role("button", name="Approve tranche 1").click()
    expect(first).to_contain_text("Approved")
    expect(first).to_contain_text("approved by Maria Ionescu")
    expect(page.get_by_role("link", name=re.compile("Record the payment"))).to_have_count(0)
    log_out(page)

    # 3. The finance officer records the month's hryvnia rate…
    log_in(page, base, scene["finance"].email, PASSWORD)
    section = page.locator("section", has=page.locator("#dash-finance"))
    expect(section).to_contain_text("1 tranche approved and unpaid")
    section.get_by_role("link", name="Exchange rates").click()
    form = page.get_by_role("region", name="Record a monthly rate")
    form.get_by_label(re.compile(r"^Month")).fill(month)
    form.get_by_label(re.compile(r"^Currency")).select_option("UAH")
    form.get_by_label(re.compile(r"^Units of the currency for 1 EUR")).fill("44.9512")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the rate").click()
    expect(page.locator("#rates")).to_contain_text("44.951200")

    # 4. … and the payment, in hryvnias: 719,219.20 UAH / 44.9512 = 16,000.00 EUR.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Finance").click()
    page.get_by_role("link", name="Record the payment").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Payment of tranche 1 of {grant.number}")
    page.get_by_label(re.compile(r"^Amount paid")).fill("719219.20")
    page.get_by_label(re.compile(r"^Paid currency")).select_option("UAH")
    page.get_by_label(re.compile(r"^Bank reference")).fill("PB-2026-000123")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the payment").click()
    expect(page.locator(".messages")).to_contain_text("The payment of tranche 1 is recorded")
    expect(page.locator("#tranche-1")).to_contain_text("Paid")
    expect(page.locator("#tranche-1")).to_contain_text("719,219.20 UAH")
    expect(page.locator("#grant-paid")).to_contain_text("16,000.00 EUR")
    log_out(page)

    # 5. The grantee sees the schedule, what was paid and when.
    log_in(page, base, scene["grantee"].email, PASSWORD)
    page.goto(f"{base}/grants/{grant.pk}/")
    expect(page.locator("#tranche-1")).to_contain_text("Paid")
    expect(page.locator("#tranche-1")).to_contain_text(date.today().strftime("%Y"))
    expect(page.locator("#payments")).to_be_visible()
    expect(page.locator("main")).to_contain_text("PB-2026-000123")
    expect(page.get_by_role("button", name="Approve tranche 1")).to_have_count(0)

    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.exchange_rate, payment.amount_programme_currency) == (
        Decimal("719219.20"),
        "UAH",
        Decimal("44.951200"),
        Decimal("16000.00"),
    )
    assert payment.recorded_by == scene["finance"] and payment.tranche.approved_by == scene["manager"]
    assert Grant.objects.get(pk=grant.pk).paid_total == Decimal("16000.00")
