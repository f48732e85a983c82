"""The manager finds a reviewer by typing: suggestions appear as a listbox, the arrow keys and
Enter choose one, "Assign" assigns; reviewers who may not review the application are never offered."""

import re
from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.session import log_in, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sevan-Lake-picker-2026"


@pytest.fixture
def scene(db):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from applications.models import ApplicationState
    from applications.review.models import ReviewerProfile
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
            ("armen", "armen@experts.am", "Armen Petrosyan", ProgrammeRole.Role.REVIEWER),
            ("arina", "arina@experts.md", "Arina Rusu", ProgrammeRole.Role.REVIEWER),
            ("member", "artem@cso.org.ua", "Artem Member", ProgrammeRole.Role.REVIEWER),
        ],
    )
    ReviewerProfile.objects.create(user=people["armen"], expertise=["budget transparency"], countries=["AM"])
    ReviewerProfile.objects.create(user=people["arina"], expertise=["media"], countries=["MD"])
    call = call_full(programme, code="adv", state=CallState.CLOSED, envelope="100000")
    org = Organisation.objects.create(
        legal_name="Centre for Civic Control", country="UA", org_type="ngo", registration_id="UA-EDR-35960913"
    )
    Membership.objects.create(organisation=org, user=people["member"], role="owner")
    app = application_in_state(
        call, org, people["member"], ApplicationState.ELIGIBLE, requested="45000", title="Open budgets in Chernihiv"
    )
    return {"app": app, **people}


def test_manager_picks_a_reviewer_with_the_keyboard(scene, live_server, page):
    from applications.review.models import Review

    log_in(page, live_server.url, "maria@eu4i.org", PASSWORD)
    page.goto(f"{live_server.url}/reviews/applications/{scene['app'].pk}/")
    field = page.get_by_role("combobox", name="Find a reviewer")
    field.fill("ar")
    listbox = page.get_by_role("listbox", name="Suggested reviewers")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)  # Armen and Arina; Artem is a member of the applicant organisation
    expect(listbox).not_to_contain_text("Artem")
    field.fill("budget")
    expect(options).to_have_count(1)
    field.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", re.compile(r"reviewer-option-\d+"))
    field.press("Enter")
    expect(listbox).to_be_hidden()
    assign = page.get_by_role("button", name="Assign", exact=True)
    expect(assign).to_be_focused()
    expect(page.get_by_role("radio", name=re.compile("Armen Petrosyan"))).to_be_checked()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages, [role=status]").first).to_contain_text("Reviewer assigned")
    assert Review.objects.filter(application=scene["app"], reviewer=scene["armen"]).exists()
