"""A two-stage call walked in the browser, from concept note to award: the manager invites the
shortlist (the ratio to the envelope updates as boxes are ticked), a non-invited organisation reads
the reviewers' feedback, the invited one finds its full application pre-filled, and once it is
reviewed the manager awards it on the full stage's ranking; the donor dashboard counts each stage."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.a11y import assert_accessible, assert_fits
from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Dniester-two-stage-2026"


@pytest.fixture
def scene(db):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from applications.models import ApplicationState, Review
    from applications.review.services import review_assign
    from grants.calls.models import Call, CallState, Programme
    from tests.factories import application_in_state, call_full
    from tests.reviews.conftest import score_and_submit

    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2026, 1, 1),
        ends_on=timezone.localdate() + timedelta(days=400),
        countries=["UA", "MD", "GE"],
    )
    rows = [
        ("manager", "maria@eu4i.org", "Maria Ionescu", ProgrammeRole.Role.MANAGER),
        ("reviewer", "armen@experts.am", "Armen Petrosyan", ProgrammeRole.Role.REVIEWER),
        ("donor", "donor@eu.example", "Desk Officer", ProgrammeRole.Role.DONOR),
    ]
    rows += [(f"applicant{i}", f"owner{i}@cso.example", f"Owner {i}", None) for i in range(3)]
    people = people_create(programme, PASSWORD, rows)
    concept = call_full(
        programme,
        code="adv",
        state=CallState.CLOSED,
        envelope="100000",
        reviewers_per_application=1,
        overall_threshold=Decimal("12"),
        title="Advocacy grants: concept notes",
    )
    full = call_full(
        programme,
        code="adv-full",
        state=CallState.DRAFT,
        envelope="100000",
        reviewers_per_application=1,
        overall_threshold=Decimal("12"),
        title="Advocacy grants: full applications",
    )
    Call.objects.filter(pk=full.pk).update(concept_call=concept)
    notes = []
    for i, (country, reg, scores) in enumerate(
        [
            ("UA", "UA-EDR-35960913", (5, 4.5, 4.5)),
            ("MD", "MD-IDNO-1003600012345", (4, 4, 4)),
            ("GE", "GE-NAPR-404123456", (4.5, 2, 4)),
        ]
    ):
        org = Organisation.objects.create(
            legal_name=f"Civic Watch {country}", country=country, org_type="ngo", registration_id=reg
        )
        Membership.objects.create(organisation=org, user=people[f"applicant{i}"], role="owner")
        note = application_in_state(
            concept,
            org,
            people[f"applicant{i}"],
            ApplicationState.ELIGIBLE,
            requested="40000",
            title=f"Open budgets in {country}",
        )
        review_assign(actor=people["manager"], application_id=note.pk, reviewer_id=people["reviewer"].pk)
        score_and_submit(Review.objects.get(application=note), scores)
        notes.append(note)
    return {**people, "concept": concept, "full": Call.objects.get(pk=full.pk), "notes": notes}


def test_a_two_stage_call_from_concept_note_to_award(page, live_server, scene):
    from applications.models import Application, ApplicationState, Review
    from applications.review.services import review_assign
    from tests.reviews.conftest import score_and_submit

    base, concept, full, notes = live_server.url, scene["concept"], scene["full"], scene["notes"]

    # 1. The manager invites the shortlist; the ratio follows the ticks.
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/reviews/calls/{concept.pk}/ranking/")
    expect(page.locator("main")).not_to_contain_text("Decide down the ranking")
    page.get_by_role("link", name="Invite the shortlist").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shortlist")
    ratio = page.locator("#shortlist-ratio [data-ratio]")
    expect(ratio).to_have_text("0.8")  # the two fundable ones ticked: 80,000 of a 100,000 envelope
    page.get_by_label(re.compile("Open budgets in MD")).uncheck()
    expect(ratio).to_have_text("0.4")
    page.get_by_label(re.compile("Open budgets in MD")).check()
    expect(page.locator("#shortlist-ratio [data-count]")).to_have_text("2")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    deadline = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Deadline of the full applications").fill(deadline)
    with page.expect_navigation():
        page.get_by_role("button", name="Invite the shortlist").click()
    expect(page.locator(".messages")).to_contain_text("2 concept notes invited, 1 not")
    log_out(page)

    # 2. The organisation not invited reads the reviewers' feedback, not who they are.
    log_in(page, base, scene["applicant2"].email, PASSWORD)
    page.goto(f"{base}/reviews/feedback/{notes[2].pk}/")
    expect(page.locator("main")).to_contain_text("Reviewers' feedback")
    expect(page.locator("main")).not_to_contain_text("Armen Petrosyan")
    log_out(page)

    # 3. An invited organisation finds its full application, pre-filled from the concept note.
    draft = Application.objects.get(call=full, organisation=notes[0].organisation)
    log_in(page, base, scene["applicant0"].email, PASSWORD)
    page.goto(f"{base}/applications/{draft.pk}/edit/")
    expect(page.locator("input[name=title]")).to_have_value("Open budgets in UA")
    log_out(page)

    # 4. Submitted and screened (as the one-stage tests walk them); the manager closes the stage
    # early: the other invited organisation let its draft be.
    for name in ("submit", "mark_eligible"):
        getattr(draft, name)()
    draft.reference, draft.submitted_at = "ADV-FULL-0001", timezone.now()
    draft.save()
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/manage/calls/{full.pk}/")
    page.get_by_text("Close the call now").first.click()
    page.get_by_label("Why does the call close early?").fill("The invited organisations were told of the new date.")
    with page.expect_navigation():
        page.get_by_role("button", name="Close the call now").click()
    expect(page.locator(".messages")).to_contain_text("The call was closed.")
    review_assign(actor=scene["manager"], application_id=draft.pk, reviewer_id=scene["reviewer"].pk)
    score_and_submit(Review.objects.get(application=draft), (5, 4.5, 4.5))
    page.goto(f"{base}/reviews/calls/{full.pk}/ranking/")
    row = page.locator(f"tr[data-application='{draft.pk}']")
    with page.expect_navigation():
        row.get_by_role("button", name="Award").click()
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.AWARDED
    log_out(page)

    # 5. The donor sees each stage of the funnel.
    log_in(page, base, scene["donor"].email, PASSWORD)
    page.goto(f"{base}/reporting/programmes/{concept.programme_id}/dashboard/")
    table = page.locator("table", has=page.get_by_role("columnheader", name="Concept notes"))
    expect(table.locator("tbody tr").first).to_contain_text("3")
    expect(table.locator("tbody tr").first).to_contain_text("2")
