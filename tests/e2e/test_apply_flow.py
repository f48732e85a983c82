"""Applying online, as a CSO member does it in the browser: finds the open call, fills the form
(autosaved, characters counted, budget totalled), loses nothing to a reload or to a dropped
connection, uploads a PDF, submits and sees the receipt; the programme manager marks it eligible."""

import re
from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.e2e.session import log_in, log_out, people_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Dnipro-river-apply-2026"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def saved(page):
    expect(page.locator("#autosave-status")).to_have_attribute("data-state", "saved", timeout=10_000)


@pytest.fixture
def scene(db, settings, tmp_path):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from grants.calls.models import Programme
    from tests.factories import call_full

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2028, 8, 30),
        countries=["UA", "AM"],
    )
    people = people_create(
        programme,
        PASSWORD,
        [
            ("manager", "maria@eu4i.org", "Maria Ionescu", ProgrammeRole.Role.MANAGER),
            ("applicant", "olena@cso.org.ua", "Olena Kovalenko", None),
        ],
    )
    call = call_full(programme, code="adv-2026", title="Advocacy grants for integrity reforms")
    org = Organisation.objects.create(
        legal_name="Centre for Civic Control", country="UA", org_type="ngo", registration_id="UA-EDR-35960913"
    )
    Membership.objects.create(organisation=org, user=people["applicant"], role="owner")
    return {**people, "call": call, "org": org, "pdf": tmp_path / "statute.pdf"}


def test_apply_reload_upload_submit_and_screen(page, live_server, scene):
    from applications.models import Application, ApplicationState
    from workers.models import Notification

    base = live_server.url
    call = scene["call"]
    scene["pdf"].write_bytes(PDF)
    questions = list(call.questions.order_by("position"))
    headings = list(call.budget_headings.order_by("position"))

    # 1. The member finds the open call on the home page and reads it.
    log_in(page, base, scene["applicant"].email, PASSWORD)
    page.goto(base + "/")
    page.get_by_role("link", name="Advocacy grants for integrity reforms").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Advocacy grants for integrity reforms")
    expect(page.locator("main")).to_contain_text(questions[0].text)
    expect(page.locator("main")).to_contain_text("Statute of the organisation")
    expect(page.locator("[data-countdown]").first).to_contain_text(re.compile(r"\d+ days?"))

    # 2. Starts an application: the form.
    with page.expect_navigation():
        page.get_by_role("button", name="Start an application for Centre for Civic Control").click()
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit/$"))
    app = Application.objects.get(call=call, organisation=scene["org"])
    saved(page)

    page.get_by_label("Project title").fill("Open contracting in five regions")
    page.get_by_label("Summary").fill("We monitor public procurement with local journalists.")
    page.get_by_label(re.compile(r"^Amount requested")).fill("40000")
    page.get_by_label(re.compile(r"^Co-financing")).fill("2500")
    page.get_by_label("Duration (months)").fill("12")
    first = page.get_by_label(re.compile(re.escape(questions[0].text)))
    first.fill("Procurement in the regions is opaque.")
    expect(page.locator(f"#count-q{questions[0].pk}")).to_have_text(f"37 / {questions[0].max_chars}")
    page.get_by_label(re.compile(re.escape(questions[1].text))).fill("Number of contracts checked and published.")

    # The budget table: three lines, totals computed as they are typed.
    rows = page.locator("#budget-table tbody tr")
    for i, (heading, description, units, cost) in enumerate(
        [
            (headings[0], "Project lead", "12", "2500"),
            (headings[1], "Trips to the regions", "10", "1000"),
            (headings[3], "Office and administration", "1", "2500"),
        ]
    ):
        row = rows.nth(i)
        row.locator("select").select_option(str(heading.pk))
        row.locator("[data-col=description]").fill(description)
        row.locator("[data-col=units]").fill(units)
        row.locator("[data-col=unit_cost]").fill(cost)
    expect(page.locator("[data-total=direct]")).to_have_text("40000.00")
    expect(page.locator("[data-total=total]")).to_have_text("42500.00")
    expect(page.locator("#budget-checks li")).to_have_count(0)
    page.get_by_label("Project title").focus()  # leaving the table saves it
    saved(page)
    app.refresh_from_db()
    assert app.title == "Open contracting in five regions" and app.budget_lines.count() == 3

    # 3. A reload: everything is still there.
    page.reload()
    expect(page.get_by_label("Project title")).to_have_value("Open contracting in five regions")
    expect(page.get_by_label(re.compile(re.escape(questions[0].text)))).to_have_value(
        "Procurement in the regions is opaque."
    )
    expect(page.locator("[data-total=total]")).to_have_text("42500.00")

    # 4. The connection drops while she types, and she closes the tab: the text is kept in the
    #    browser and saved when the page is opened again.
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label("Summary").fill("We monitor public procurement with local journalists in five regions.")
    page.get_by_label("Project title").focus()
    expect(page.locator("#autosave-status")).to_have_attribute("data-state", "offline")
    page.unroute("**/autosave/")
    page.reload()
    expect(page.get_by_label("Summary")).to_have_value(
        "We monitor public procurement with local journalists in five regions."
    )
    expect(page.locator("#autosave-status")).to_contain_text("restored")
    saved(page)
    app.refresh_from_db()
    assert app.summary.endswith("in five regions.")

    # 5. A PDF as the required statute.
    page.get_by_label("Which document is this?").select_option(label="Statute of the organisation")
    page.get_by_label("File").set_input_files(str(scene["pdf"]))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messages")).to_contain_text("statute.pdf was added")
    expect(page.locator("#attachments")).to_contain_text("statute.pdf")

    # 6. Check and submit; the receipt.
    with page.expect_navigation():
        page.get_by_role("link", name="Check and submit").click()
    expect(page.get_by_role("heading", name="The application is complete")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit the application").click()
    app.refresh_from_db()
    assert app.state == ApplicationState.SUBMITTED and app.reference == "ADV-2026-0001"
    expect(page.locator("#receipt-reference")).to_have_text(app.reference)
    expect(page.locator("#receipt-sha256")).to_have_text(app.receipt_sha256)
    assert Notification.objects.filter(kind="application_submitted", email=scene["applicant"].email).exists()
    log_out(page)

    # 7. The programme manager screens it.
    log_in(page, base, scene["manager"].email, PASSWORD)
    page.goto(f"{base}/manage/calls/{call.pk}/applications/")
    with page.expect_navigation():
        page.get_by_role("link", name=app.reference).click()
    expect(page.locator("main")).to_contain_text("The system found nothing missing.")
    for checkbox in page.locator(".screen-form input[type=checkbox]").all():
        checkbox.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Mark eligible").click()
    expect(page.locator("[data-state]").first).to_have_text("Eligible")
    app.refresh_from_db()
    assert app.state == ApplicationState.ELIGIBLE
