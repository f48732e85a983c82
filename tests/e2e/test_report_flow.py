"""A grantee report and a donor report, in the browser: the grantee types the interim report
(autosaved while typing, still there after a reload) and submits it; the programme manager
approves it; the donor asks for a donor report, watches it finish and downloads the PDF."""

from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sevan-reports-2026"


@pytest.fixture
def scene(db, settings, tmp_path):
    from datetime import date

    from accounts.models import Membership, Organisation, ProgrammeRole
    from grants.calls.models import CallState, Contribution, Donor, Programme
    from tests.factories import call_full
    from tests.reporting.builders import make_grant

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2030, 8, 30),
        countries=["UA", "AM"],
    )
    Contribution.objects.create(
        donor=Donor.objects.create(name="European Union", identifier="XI-IATI-EC_NEAR"),
        programme=programme,
        amount=Money(Decimal("2500000"), "EUR"),
    )
    people = people_create(
        programme,
        PASSWORD,
        [
            ("manager", "maria@eu4i.org", "maria", ProgrammeRole.Role.MANAGER),
            ("donor", "pierre@ec.europa.example", "pierre", ProgrammeRole.Role.DONOR),
            ("grantee", "olena@cso.org.ua", "olena", None),
        ],
    )
    org = Organisation.objects.create(
        legal_name="Центр протидії корупції", country="UA", org_type="ngo", registration_id="UA-EDR-35960913"
    )
    Membership.objects.create(organisation=org, user=people["grantee"], role="owner")
    call = call_full(programme, code="adv", state=CallState.REVIEWING)
    grant = make_grant(call, org, people["grantee"], title="Відкриті бюджети Чернігова")
    return {**people, "grant": grant, "programme": programme}


def test_interim_report_autosaved_submitted_approved_and_a_donor_report(page, live_server, scene):
    from reporting.donor.models import DonorReport
    from reporting.grantee.models import GranteeReport, GranteeReportState, ReportKind

    base, grant = live_server.url, scene["grant"]
    report = GranteeReport.objects.get(grant=grant, kind=ReportKind.INTERIM)

    # 1. The grantee types; autosave keeps it without pressing anything.
    log_in(page, base, scene["grantee"].email, PASSWORD)
    page.goto(f"{base}/reporting/reports/{report.pk}/")
    page.get_by_label("Summary of progress").fill("Моніторинг закупівель у трьох громадах.")
    expect(page.locator("[data-autosave-status]")).to_contain_text("Saved at", timeout=10_000)
    page.reload()
    expect(page.get_by_label("Summary of progress")).to_have_value("Моніторинг закупівель у трьох громадах.")

    # 2. The rest of the report, then "Save and submit".
    page.get_by_label("Activities carried out").fill("Trainings for journalists; 120 tenders analysed.")
    page.get_by_label("Results achieved so far").fill("Two councils publish their contracts.")
    page.get_by_label("Spent on “Project lead”").fill("12000")
    page.get_by_label("Spent on “Trips to the regions”").fill("2500")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and submit").click()
    expect(page.locator(".messages")).to_contain_text("The report is submitted")
    report.refresh_from_db()
    assert report.state == GranteeReportState.SUBMITTED
    log_out(page)

    # 3. The manager reads it and approves.
    log_in(page, base, scene["manager"].email, PASSWORD)
    expect(page.locator("#dash-manager").locator("..")).to_contain_text("1 report to review")
    page.goto(f"{base}/reporting/reports/{report.pk}/")
    expect(page.get_by_role("cell", name="12000.00").first).to_be_visible()
    page.locator("#id_approve-comment").fill("Thank you, well documented.")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    expect(page.locator(".badge.report-approved")).to_be_visible()
    log_out(page)

    # 4. The donor asks for a donor report and downloads it once it is ready.
    log_in(page, base, scene["donor"].email, PASSWORD)
    page.goto(f"{base}/reporting/donor-reports/")
    page.get_by_label("Period from").fill("2020-05-01")
    page.get_by_label("Period to").fill("2030-08-30")
    with page.expect_navigation():
        page.get_by_role("button", name="Generate").click()
    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=30_000)
    with page.expect_download() as info:
        download_link.click()
    assert info.value.suggested_filename.startswith("donor-report-eu4i-")
    assert DonorReport.objects.get().state == "ready"
