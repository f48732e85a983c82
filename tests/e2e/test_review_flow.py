"""Independent review in the browser: the reviewer declares no conflict, scores with the
weighted total updating as they type, submits; the manager sees the ranking and awards."""

import re
from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sevan-Lake-review-2026"
COMMENT = "The action answers a real need in the regions and its indicators are measurable and realistic."


@pytest.fixture
def scene(db):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from applications.models import ApplicationState
    from applications.review.services import review_assign
    from grants.calls.models import CallState, Programme
    from tests.factories import application_in_state, call_full

    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2024, 8, 30),
        countries=["UA", "AM"],
    )
    people = people_create(
        programme,
        PASSWORD,
        [
            ("manager", "maria@eu4i.org", "Maria Ionescu", ProgrammeRole.Role.MANAGER),
            ("reviewer", "armen@experts.am", "Armen Petrosyan", ProgrammeRole.Role.REVIEWER),
            ("applicant", "olena@cso.org.ua", "Olena Kovalenko", None),
        ],
    )
    call = call_full(
        programme,
        code="adv",
        state=CallState.CLOSED,
        envelope="100000",
        reviewers_per_application=1,
        overall_threshold=Decimal("12"),
    )
    org = Organisation.objects.create(
        legal_name="Centre for Civic Control", country="UA", org_type="ngo", registration_id="UA-EDR-35960913"
    )
    Membership.objects.create(organisation=org, user=people["applicant"], role="owner")
    app = application_in_state(
        call, org, people["applicant"], ApplicationState.ELIGIBLE, requested="45000", title="Open budgets in Chernihiv"
    )
    review = review_assign(actor=people["manager"], application_id=app.pk, reviewer_id=people["reviewer"].pk)
    return {**people, "call": call, "application": app, "review": review}


def test_reviewer_scores_and_manager_awards(page, live_server, scene):
    from applications.models import Application
    from applications.review.models import Review
    from grants.calls.models import Call

    base = live_server.url
    # 1. The reviewer finds the assignment on the dashboard: only the title before the declaration.
    log_in(page, base, scene["reviewer"].email, PASSWORD)
    section = page.locator("section", has=page.locator("#dash-reviewer"))
    expect(section).to_contain_text("1 waiting for your declaration")
    section.get_by_role("link", name="Open budgets in Chernihiv").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration of no conflict of interest")
    expect(page.locator("main")).not_to_contain_text("Centre for Civic Control")
    expect(page.locator("main")).not_to_contain_text("What we will do and why.")

    # 2. Declares no conflict: the application opens.
    page.get_by_label(re.compile(r"^I declare that I have no conflict of interest")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the declaration and open the application").click()
    expect(page.locator(".messages")).to_contain_text("Declaration signed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open budgets in Chernihiv")
    expect(page.locator("main")).to_contain_text("What we will do and why.")
    expect(page.locator("main")).to_contain_text("Centre for Civic Control")

    # 3. Scores: the weighted total follows the typing (Criterion 1 weighs 2).
    total = page.locator("output#weighted-total")
    expect(total).to_have_text("0.00")
    page.get_by_label(re.compile(r"^Score for “Criterion 1”")).fill("4.5")
    expect(total).to_have_text("9.00")
    page.get_by_label(re.compile(r"^Score for “Criterion 2”")).fill("4")
    page.get_by_label(re.compile(r"^Score for “Criterion 3”")).fill("3.5")
    expect(total).to_have_text("16.50")
    for n in (1, 2, 3):
        page.get_by_label(re.compile(rf"^Comment on “Criterion {n}”")).fill(COMMENT)
    page.get_by_label("Recommendation").select_option("fund")

    # A draft first, then the submission.
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved.")
    expect(page.get_by_label(re.compile(r"^Score for “Criterion 3”"))).to_have_value("3.5")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit review").click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    expect(page.locator(".messages")).to_contain_text("Your review is submitted")
    review = Review.objects.get(pk=scene["review"].pk)
    assert review.state == "submitted" and review.weighted_total == Decimal("16.50")
    assert Application.objects.get(pk=scene["application"].pk).state == "reviewed"
    log_out(page)

    # 4. The manager opens the ranking and awards.
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/reviews/calls/{scene['call'].pk}/ranking/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ranking")
    row = page.locator("table.ranking tbody tr[data-application]").first
    expect(row).to_contain_text("Open budgets in Chernihiv")
    expect(row).to_contain_text("16.50")
    expect(row).to_contain_text("45,000.00")
    row.get_by_label("Amount to award").fill("42000")
    with page.expect_navigation():
        row.get_by_role("button", name="Award").click()
    expect(page.locator(".messages")).to_contain_text("Grant awarded")
    expect(page.locator("table.ranking tbody tr[data-application]").first).to_contain_text("Awarded 42,000.00")
    expect(page.get_by_test_id("available")).to_contain_text("58,000.00")
    application = Application.objects.get(pk=scene["application"].pk)
    assert application.state == "awarded" and application.awarded_amount == Decimal("42000")
    assert Call.objects.get(pk=scene["call"].pk).awarded_total == Decimal("42000")
