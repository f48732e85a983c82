"""The form builder walked in the browser: a manager builds a call's form with a condition and a
table question and an eligibility check, and previews it in Ukrainian; an applicant fails the
eligibility check, then passes it, sees the condition reveal the table, fills it and submits; a
blind reviewer never sees the identifying table's answer. Axe-clean and at 390 px."""

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

PASSWORD = "Prut-form-builder-2026"


@pytest.fixture
def scene(db):
    from accounts.models import Membership, Organisation, ProgrammeRole
    from grants.calls.form.defaults import call_form_defaults_create
    from grants.calls.models import Call, CallState, Programme, Question
    from tests.factories import call_full

    programme = Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2026, 1, 1),
        ends_on=timezone.localdate() + timedelta(days=400),
        countries=["UA", "MD"],
    )
    people = people_create(
        programme,
        PASSWORD,
        [
            ("manager", "maria@eu4i.org", "Maria Ionescu", ProgrammeRole.Role.MANAGER),
            ("reviewer", "ion@experts.md", "Ion Rusu", ProgrammeRole.Role.REVIEWER),
            ("applicant", "olena@cso.example", "Olena Koval", None),
        ],
    )
    call = call_full(programme, code="adv", state=CallState.OPEN, title="Advocacy grants", blind_review=True)
    Question.objects.filter(call=call).delete()  # the builder starts from a new call's form
    call_form_defaults_create(call)
    org = Organisation.objects.create(
        legal_name="Civic Watch UA", country="UA", org_type="ngo", registration_id="UA-EDR-35960913"
    )
    Membership.objects.create(organisation=org, user=people["applicant"], role="owner")
    return {**people, "call": Call.objects.get(pk=call.pk), "org": org}


def _add_question(page, base, call, purpose, section_title, fields: dict, *, kind: str):
    page.goto(f"{base}/manage/calls/{call.pk}/form/?purpose={purpose}")
    page.get_by_role("link", name=re.compile(rf"Add a question.*{section_title}")).click()
    page.locator("#id_kind").select_option(kind)
    for name, value in fields.items():
        field = page.locator(f"#id_{name}")
        if value is True:
            field.check()
        elif field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The question was saved.")


def test_a_manager_builds_a_form_and_an_applicant_fills_it(page, live_server, scene):
    from applications import services
    from applications.models import Application, ApplicationState
    from applications.review.services import review_assign, review_declare_no_conflict
    from grants.calls.models import Question
    from tests.applications.conftest import fill_complete

    base, call = live_server.url, scene["call"]

    # 1. The manager builds: a yes/no question, a table shown only on "yes" (identifying), and an
    # eligibility check of one question.
    log_in(page, base, scene["manager"].email, PASSWORD)
    _add_question(page, base, call, "application", "Questions", {"text": "Will you work with partners?"}, kind="yes_no")
    _add_question(
        page,
        base,
        call,
        "application",
        "Questions",
        {
            "text": "Partner organisations",
            "table_columns": "Organisation | text\nBudget share | amount | total",
            "identifying": True,
            "cond_question": "Will you work with partners?",
            "cond_op": "the answer is yes",
        },
        kind="table",
    )
    page.goto(f"{base}/manage/calls/{call.pk}/form/?purpose=eligibility")
    page.get_by_role("link", name="Add a section").click()
    page.locator("#id_title").fill("Before you start")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    _add_question(
        page,
        base,
        call,
        "eligibility",
        "Before you start",
        {"text": "Is your organisation registered as a non-profit?", "accept": "yes"},
        kind="yes_no",
    )
    page.goto(f"{base}/manage/calls/{call.pk}/form/")
    expect(page.locator("main")).to_contain_text("Partner organisations")
    page.goto(f"{base}/manage/calls/{call.pk}/form/questions/new/?purpose=application")
    page.locator("#id_kind").select_option("table")
    expect(page.locator("#id_table_columns")).to_be_visible()
    expect(page.locator("#id_choices")).to_be_hidden()  # only the settings a table uses
    assert_accessible(page)
    page.goto(f"{base}/manage/calls/{call.pk}/form/")
    expect(page.locator("main")).to_contain_text("Shown only depending on the answer to “Will you work with partners?”")
    assert_accessible(page)
    # Reordered by keyboard: the table cannot come before the answer it depends on.
    table = Question.objects.get(call=call, text_en="Partner organisations")
    page.locator(f"#question-{table.pk}").get_by_role("button", name=re.compile("Move up")).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("depends on an earlier answer")

    # 2. The preview in Ukrainian: the translated question, the condition at work.
    Question.objects.filter(pk=table.pk).update(text_uk="Організації-партнери")
    page.goto(f"{base}/manage/calls/{call.pk}/form/")
    page.get_by_role("link", name="Українська").click()
    preview = page.locator("#preview-form")
    expect(preview).to_have_attribute("lang", "uk")
    expect(preview.get_by_text("Організації-партнери")).to_be_hidden()
    preview.get_by_label("Так").first.check()
    expect(preview.get_by_text("Організації-партнери")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_out(page)

    # 3. The applicant: refused by the eligibility check, told why; then qualifies.
    log_in(page, base, scene["applicant"].email, PASSWORD)
    page.goto(f"{base}/calls/{call.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Start an application")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eligibility check")
    page.get_by_label("No", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Check and start the application").click()
    expect(page.locator("#eligibility-reasons")).to_contain_text("your answer “No” does not qualify")
    assert not Application.objects.filter(call=call).exists()
    assert_accessible(page)
    page.get_by_label("Yes", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Check and start the application").click()
    app = Application.objects.get(call=call)
    expect(page).to_have_url(re.compile(rf"/applications/{app.pk}/edit/$"))

    # 4. The form: the condition reveals the table; a row is typed and saved; then submitted.
    fill_complete(scene["applicant"], app)
    page.goto(f"{base}/applications/{app.pk}/edit/")
    partners = page.locator(f"#field-q{table.pk}")
    expect(partners).to_be_hidden()
    page.locator(f"#field-q{Question.objects.get(call=call, text_en='Will you work with partners?').pk}").get_by_label(
        "Yes", exact=True
    ).check()
    expect(partners).to_be_visible()
    partners.get_by_label("Organisation, row 1").fill("Moldova Budget Watch")
    partners.get_by_label("Budget share, row 1").fill("1500")
    partners.get_by_label("Budget share, row 1").blur()
    expect(page.locator("#autosave-status")).to_contain_text("All changes saved")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Check and submit").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit the application").click()
    app.refresh_from_db()
    assert app.state == ApplicationState.SUBMITTED
    sent = {a["question"]: a for a in app.submitted_content["answers"]}
    assert sent["Partner organisations"]["answer"] == [{"c1": "Moldova Budget Watch", "c2": "1500.00"}]
    log_out(page)

    # 5. The blind reviewer never reads the identifying answer.
    services.application_mark_eligible(
        actor=scene["manager"],
        application_id=app.pk,
        checklist={key: True for key, _label in services.checklist_items(call.pk)},
    )
    review = review_assign(actor=scene["manager"], application_id=app.pk, reviewer_id=scene["reviewer"].pk)
    review_declare_no_conflict(actor=scene["reviewer"], review_id=review.pk)
    log_in(page, base, scene["reviewer"].email, PASSWORD)
    page.goto(f"{base}/reviews/{review.pk}/")
    expect(page.locator("main")).to_contain_text("Will you work with partners?")
    expect(page.locator("main")).not_to_contain_text("Moldova Budget Watch")
    expect(page.locator("main")).not_to_contain_text("Civic Watch UA")
