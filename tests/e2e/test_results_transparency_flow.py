"""The results framework and the public register, in the browser (issue 19's "Done when"): a
manager defines two programme indicators; an applicant proposes targets; the grantee reports
actuals; the donor dashboard shows target against actual; an anonymous visitor on a phone finds
the grant on /transparency/grants/, reads a published practice and checks a receipt."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Dilijan-results-2026"


@pytest.fixture
def scene(db, settings, tmp_path):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from grants.calls.models import CallState, Contribution, Donor, Programme
    from tests.factories import application_in_state, call_full

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
            ("applicant", "ani@cso.am", "ani", None),
        ],
    )
    org = Organisation.objects.create(
        legal_name="Հակակոռուպցիոն կենտրոն", country="AM", org_type="ngo", registration_id="AM-SRALE-273.110.02481"
    )
    Membership.objects.create(organisation=org, user=people["applicant"], role="owner")
    call = call_full(programme, code="adv", state=CallState.OPEN, eligible_countries=["AM", "UA"])
    app = application_in_state(call, org, people["applicant"], title="Բաց բյուջեներ համայնքներում")
    return {**people, "programme": programme, "call": call, "app": app}


def _award_and_sign(app, manager):
    """What review and selection do (tested elsewhere): the application is awarded and signed."""
    from applications.models import Application
    from audit.transitions import lock, transition
    from grants.disbursement import lifecycle
    from reporting.grantee.schedule import grantee_reports_schedule

    with transaction.atomic():
        for name in ("submit", "mark_eligible", "start_review", "complete_review", "award"):
            app = lock(Application, app.pk)
            if name == "submit":
                app.reference, app.submitted_at = "ADV-0001", timezone.now()
                app.receipt_sha256 = "5f" * 32
            if name == "award":
                app.awarded_amount, app.decided_at = Decimal("40000"), timezone.now()
            transition(app, name, actor=manager, data={"sha256": app.receipt_sha256} if name == "submit" else None)
    grant = lifecycle.grant_create_from_application(
        actor=manager, application_id=app.pk, starts_on=timezone.localdate() - timedelta(days=200)
    )
    grant.sign()
    grant.signed_at = timezone.now()
    grant.save()
    grantee_reports_schedule(grant_id=grant.pk)
    return grant


def test_from_programme_indicators_to_the_public_register(page, live_server, scene):
    from grants.calls.models import ProgrammeIndicator
    from reporting.grantee.models import GranteeReport, ReportKind
    from reporting.transparency.services import practice_publish, practice_save, practice_submit

    base, programme, call = live_server.url, scene["programme"], scene["call"]

    # 1. The manager defines two programme indicators on the programme's results page.
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/manage/calls/")
    page.get_by_role("link", name="Results framework").click()
    for level, code, name, _name_uk, target in (
        ("outcome", "OC1", "Public bodies publishing spending data", "Органи, що публікують дані про видатки", "20"),
        ("output", "OP1", "People trained in budget monitoring", "Люди, навчені моніторингу бюджетів", "300"),
    ):
        page.get_by_label("Level").select_option(level)
        page.get_by_label("Code").fill(code)
        page.locator("#id_name").fill(name)
        page.get_by_label("Target").fill(target)
        with page.expect_navigation():
            page.get_by_role("button", name="Save the indicator").click()
        expect(page.locator(".messages")).to_contain_text("The indicator was saved")
    expect(page.get_by_role("row", name="OP1")).to_contain_text("People trained in budget monitoring")
    # Their Ukrainian names go on the programme's texts page, beside the English ones.
    page.goto(f"{base}/manage/calls/")
    page.get_by_role("link", name="Texts in every language").click()
    for code, name_uk in (
        ("OC1", "Органи, що публікують дані про видатки"),
        ("OP1", "Люди, навчені моніторингу бюджетів"),
    ):
        page.get_by_label(f"Indicator {code}, Українська").fill(name_uk)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the translations").click()
    expect(page.locator(".messages")).to_contain_text("Translations saved")
    assert ProgrammeIndicator.objects.get(code="OP1").name_uk == "Люди, навчені моніторингу бюджетів"
    log_out(page)
    call.indicators.set(ProgrammeIndicator.objects.filter(programme=programme))  # the call's own form (tested apart)
    op1 = ProgrammeIndicator.objects.get(code="OP1")

    # 2. The applicant proposes a target linked to OP1.
    log_in(page, base, scene["applicant"].email, PASSWORD)
    page.goto(f"{base}/applications/{scene['app'].pk}/")
    page.get_by_role("link", name="Indicators and targets").click()
    first = page.locator("fieldset").first
    first.get_by_label("Contributes to").select_option(str(op1.pk))
    first.get_by_label("Indicator").fill("Residents trained to read the budget")
    first.get_by_label("Unit").fill("people")
    first.get_by_label("Baseline").fill("0")
    first.get_by_label("Target").fill("80")
    first.get_by_label("Means of verification").fill("Attendance lists")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the indicators").click()
    expect(page.locator(".messages")).to_contain_text("The indicators were saved")
    log_out(page)

    # 3. Awarded and signed (review and selection are tested elsewhere); the grantee reports actuals.
    grant = _award_and_sign(scene["app"], scene["manager"])
    report = GranteeReport.objects.get(grant=grant, kind=ReportKind.INTERIM)
    log_in(page, base, scene["applicant"].email, PASSWORD)
    page.goto(f"{base}/reporting/reports/{report.pk}/")
    page.get_by_label("Summary of progress").fill("Hearings in three communities.")
    page.get_by_label("Activities carried out").fill("Trainings and hearings.")
    page.get_by_label("Results achieved so far").fill("Residents read the budget.")
    page.get_by_label("Actual value of “Residents trained to read the budget”").fill("45")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and submit").click()
    expect(page.locator(".messages")).to_contain_text("The report is submitted")
    log_out(page)
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/reporting/reports/{report.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    expect(page.locator(".badge.report-approved")).to_be_visible()
    log_out(page)

    # 4. The donor sees target against actual.
    log_in(page, base, scene["donor"].email, PASSWORD)
    page.goto(f"{base}/reporting/programmes/{programme.pk}/dashboard/")
    results = page.locator("section[aria-labelledby=results-h]")
    expect(results).to_contain_text("OP1 People trained in budget monitoring")
    expect(results.locator('[data-actual="OP1"]')).to_have_text("45.00 (15%)")
    log_out(page)

    # 5. The call is decided and a practice published (their pages are tested apart).
    call.refresh_from_db()
    for name in ("close", "start_review", "decide"):
        getattr(call, name)()
    call.save()
    practice = practice_save(
        actor=scene["applicant"],
        grant_id=grant.pk,
        title="Budget hearings in the library",
        language="en",
        problem="Nobody read the budget.",
        approach="Monthly hearings with a one-page summary.",
        result="Residents changed two budget lines.",
    )
    practice_submit(actor=scene["applicant"], practice_id=practice.pk)
    practice_publish(actor=scene["manager"], practice_id=practice.pk)

    # 6. An anonymous visitor on a phone: the register, the grant, the practice, a receipt.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/transparency/grants/")
    page.get_by_label("Search").fill("Բաց բյուջեներ")
    page.get_by_label("Country").select_option("AM")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("link", name="Բաց բյուջեներ համայնքներում").click()
    expect(page.locator("table.indicators")).to_contain_text("Residents trained to read the budget")
    expect(page.locator("table.indicators")).to_contain_text("45.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("link", name="Budget hearings in the library").click()
    expect(page.get_by_role("heading", name="What changed")).to_be_visible()
    expect(page.locator("article")).to_contain_text("Residents changed two budget lines.")
    page.goto(f"{base}/transparency/audit/")
    page.get_by_label("Submission reference").fill("ADV-0001")
    page.get_by_label("Receipt fingerprint (SHA-256)").fill("5F" * 32)
    with page.expect_navigation():
        page.get_by_role("button", name="Check").click()
    expect(page.locator("[data-receipt=recorded]")).to_contain_text("Submission ADV-0001 was recorded.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
