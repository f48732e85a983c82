"""The pages: public call pages, the applicant's form (no JavaScript needed), the manager's list,
exports; an applicant of organisation A gets 404 for everything of organisation B."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Membership, ProgrammeRole
from applications import services
from applications.models import Application, ApplicationState
from tests.applications.conftest import PDF, upload
from tests.factories import application_in_state, audited_bulk


def test_home_lists_open_calls_and_links_their_page(client, call):
    page = client.get("/").content.decode()
    assert f'href="/calls/{call.pk}/"' in page and "data-countdown" in page


def test_call_page_shows_every_rule_question_and_document(client, call):
    page = client.get(f"/calls/{call.pk}/").content.decode()
    for text in [
        "What problem does the action address?",
        "How will you measure success?",
        "Statute of the organisation",
        "at most 2000 characters".replace("at most", "At most"),
        "Indirect costs",
        "Staff",
        "data-local-time",
        timezone.localtime(call.deadline).isoformat()[:16],
        "data-countdown",
        "40% — On signature",
    ]:
        assert text in page, text
    assert "Log in" in page


def test_draft_calls_are_404_to_the_public(client, programme, applicant):
    from tests.factories import call_full

    draft_call = call_full(programme, code="hidden", state="draft")
    assert client.get(f"/calls/{draft_call.pk}/").status_code == 404
    client.force_login(applicant)
    assert client.get(f"/calls/{draft_call.pk}/").status_code == 404


def test_member_starts_from_the_call_page_and_saves_without_javascript(client, applicant, org, call):
    client.force_login(applicant)
    page = client.get(f"/calls/{call.pk}/").content.decode()
    assert f"Start an application for <bdi>{org.legal_name}</bdi>" in page
    response = client.post(f"/calls/{call.pk}/apply/", {"organisation": org.pk})
    app = Application.objects.get(call=call, organisation=org)
    assert response.status_code == 302 and response["Location"] == f"/applications/{app.pk}/edit/"
    form = client.get(response["Location"]).content.decode()
    assert "data-autosave-url" in form and 'name="base_title"' in form and 'data-max-chars="2000"' in form
    q = call.questions.first()
    heading = call.budget_headings.first()
    values = services.application_values(app, list(call.questions.all()), [])
    hashes = services.application_hashes(values)
    data = {
        "version": 1,
        **{f"base_{k}": v for k, v in hashes.items()},
        "title": "My project",
        "summary": "S",
        "requested_amount": "40 000,00",
        "cofinancing_amount": "",
        "duration_months": "12",
        f"q{q.pk}": "Answer",
        "budget-heading": [str(heading.pk), ""],
        "budget-description": ["Staff", ""],
        "budget-units": ["2", ""],
        "budget-unit_cost": ["100", ""],
    }
    response = client.post(f"/applications/{app.pk}/edit/", data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.title, str(app.requested_amount), app.answers[str(q.pk)]) == ("My project", "40000.00", "Answer")
    assert app.budget_lines.get().total == 200


def test_no_javascript_save_shows_a_conflict_with_both_texts(client, applicant, colleague, draft):
    values = services.application_values(draft, list(draft.call.questions.all()), [])
    old_hashes = services.application_hashes(values)
    services.application_autosave(
        actor=colleague, application_id=draft.pk, version=1, fields={"summary": "Taras's text"}
    )
    client.force_login(applicant)
    response = client.post(
        f"/applications/{draft.pk}/edit/",
        {"version": 1, "base_summary": old_hashes["summary"], "summary": "Olena's text"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Olena&#x27;s text" in page and "Taras&#x27;s text" in page
    draft.refresh_from_db()
    assert draft.summary == "Taras's text"


def test_autosave_endpoint(client, applicant, colleague, draft):
    client.force_login(applicant)
    values = services.application_values(draft, list(draft.call.questions.all()), [])
    base = services.application_hashes(values)
    response = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps({"version": 1, "fields": {"title": "T1"}, "base": base}),
        content_type="application/json",
    )
    data = response.json()
    assert (
        response.status_code == 200 and data["version"] == 2 and data["applied"] == ["title"] and not data["conflicts"]
    )
    # Taras saves the summary; Olena's next autosave learns it (updates) and keeps her own field.
    services.application_autosave(actor=colleague, application_id=draft.pk, version=2, fields={"summary": "By Taras"})
    base["title"] = data["hashes"]["title"]
    response = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps({"version": 2, "fields": {"title": "T2"}, "base": base}),
        content_type="application/json",
    )
    data = response.json()
    assert data["applied"] == ["title"] and data["updates"] == {"summary": "By Taras"}


def test_autosave_tells_an_expired_session_in_json(client, draft):
    response = client.post(f"/applications/{draft.pk}/autosave/", "{}", content_type="application/json")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_autosave_refuses_a_submitted_application_with_409(client, applicant, submitted):
    client.force_login(applicant)
    response = client.post(
        f"/applications/{submitted.pk}/autosave/",
        json.dumps({"version": 9, "fields": {"title": "x"}}),
        content_type="application/json",
    )
    assert response.status_code == 409


def test_submit_page_lists_what_is_missing_then_submits_and_shows_the_receipt(client, applicant, draft):
    client.force_login(applicant)
    page = client.get(f"/applications/{draft.pk}/submit/").content.decode()
    assert "Give the project a title." in page and 'id="submit-application"' not in page
    from tests.applications.conftest import fill_complete

    fill_complete(applicant, draft)
    page = client.get(f"/applications/{draft.pk}/submit/").content.decode()
    assert 'id="submit-application"' in page
    response = client.post(f"/applications/{draft.pk}/submit/", follow=True)
    draft.refresh_from_db()
    page = response.content.decode()
    assert draft.state == ApplicationState.SUBMITTED and draft.reference in page and draft.receipt_sha256 in page
    body = client.get(f"/applications/{draft.pk}/submitted.json")
    import hashlib

    assert hashlib.sha256(body.content).hexdigest() == draft.receipt_sha256
    # A second press (or a second member) lands on the receipt, not on an error.
    again = client.post(f"/applications/{draft.pk}/submit/")
    assert again.status_code == 302 and again["Location"].endswith("/receipt/")


@pytest.mark.parametrize(
    "path",
    [
        "/applications/{pk}/",
        "/applications/{pk}/edit/",
        "/applications/{pk}/submit/",
        "/applications/{pk}/receipt/",
        "/applications/{pk}/submitted.json",
        "/applications/{pk}/export.csv",
        "/applications/{pk}/export.xlsx",
        "/applications/{pk}/withdraw/",
    ],
)
def test_another_organisations_application_is_404(client, other_applicant, submitted, path):
    client.force_login(other_applicant)
    assert client.get(path.format(pk=submitted.pk)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/applications/{pk}/withdraw/",
        "/applications/{pk}/clarification/",
        "/applications/{pk}/screen/eligible/",
        "/applications/{pk}/extend/",
        "/applications/{pk}/autosave/",
        "/applications/{pk}/attachments/",
    ],
)
def test_another_organisations_application_is_404_for_actions(client, other_applicant, submitted, path):
    client.force_login(other_applicant)
    assert client.post(path.format(pk=submitted.pk), {}).status_code == 404


def test_call_export_and_list_are_404_for_applicants(client, applicant, submitted):
    client.force_login(applicant)
    for path in (
        "/manage/calls/{pk}/applications/",
        "/manage/calls/{pk}/applications/export.csv",
        "/manage/calls/{pk}/",
    ):
        assert client.get(path.format(pk=submitted.call_id)).status_code == 404


def test_an_unassigned_or_conflicted_reviewer_gets_404(client, make_user, programme, grant_role, submitted):
    from django.utils import timezone

    from applications.review.models import Review

    reviewer = grant_role(make_user(), programme, ProgrammeRole.Role.REVIEWER)
    client.force_login(reviewer)
    assert client.get(f"/applications/{submitted.pk}/").status_code == 404
    review = Review.objects.create(application=submitted, reviewer=reviewer, due_at=timezone.now())
    assert client.get(f"/applications/{submitted.pk}/").status_code == 404  # assigned, not yet declared
    review.declare_conflict()
    review.save()
    assert client.get(f"/applications/{submitted.pk}/").status_code == 404
    attachment = submitted.attachments.first()
    assert client.get(f"/applications/{submitted.pk}/attachments/{attachment.pk}/").status_code == 404


def test_a_cleared_reviewer_reads_but_cannot_act(client, make_user, programme, grant_role, submitted):
    from django.utils import timezone

    from applications.review.models import Review

    reviewer = grant_role(make_user(), programme, ProgrammeRole.Role.REVIEWER)
    review = Review.objects.create(application=submitted, reviewer=reviewer, due_at=timezone.now())
    review.declare_no_conflict()
    review.save()
    client.force_login(reviewer)
    assert client.get(f"/applications/{submitted.pk}/").status_code == 200
    assert client.post(f"/applications/{submitted.pk}/screen/eligible/", {}).status_code == 403
    assert client.post(f"/applications/{submitted.pk}/withdraw/", {}).status_code == 403


def test_manager_screens_on_the_application_page(client, manager, applicant, submitted):
    client.force_login(manager)
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    assert "Administrative screening" in page and "The system found nothing missing." in page
    data = {f"el-check_{key}": "on" for key, _label in services.CHECKLIST}
    response = client.post(f"/applications/{submitted.pk}/screen/eligible/", data)
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.ELIGIBLE
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    assert "✔ Every required document is attached" in page


def test_manager_page_refuses_ineligible_without_reason(client, manager, submitted):
    client.force_login(manager)
    response = client.post(f"/applications/{submitted.pk}/screen/ineligible/", {"in-reason": ""}, follow=True)
    assert "Say why the application is ineligible" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_members_cannot_screen(client, applicant, submitted):
    client.force_login(applicant)
    assert client.post(f"/applications/{submitted.pk}/screen/eligible/", {}).status_code == 403


def _applications(call, n, make_user, make_org):
    states = [
        ApplicationState.SUBMITTED,
        ApplicationState.ELIGIBLE,
        ApplicationState.INELIGIBLE,
        ApplicationState.DRAFT,
    ]
    for i in range(n):
        owner = make_user()
        org = make_org(owner, country=["UA", "AM", "GE", "MD"][i % 4], org_type=["ngo", "media"][i % 2])
        application_in_state(call, org, owner, states[i % 4])


def test_manager_list_filters_and_counts(client, manager, call, make_user, make_org):
    _applications(call, 8, make_user, make_org)
    client.force_login(manager)
    page = client.get(f"/manage/calls/{call.pk}/applications/").content.decode()
    assert 'data-count-state="submitted">2<' in page and 'data-count-country="UA">2<' in page
    page = client.get(f"/manage/calls/{call.pk}/applications/?state=eligible&org_type=media").content.decode()
    table = page.split('id="applications-table"')[1]
    assert table.count("<tr>") == 1 + 2  # header + the two eligible media applications


def test_manager_list_runs_the_same_queries_for_10_or_many(client, manager, call, make_user, make_org):
    client.force_login(manager)
    url = f"/manage/calls/{call.pk}/applications/"
    _applications(call, 10, make_user, make_org)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _applications(call, 70, make_user, make_org)
    audited_bulk("applications")
    client.get(url)  # the count is kept until the next audited change: compare reuse with reuse
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), [q["sql"][:120] for q in large.captured_queries]


def test_exports_are_formula_safe_and_hold_only_what_the_manager_may_see(
    client, manager, call, programme, make_user, make_org, grant_role
):
    owner = make_user()
    org = make_org(owner, legal_name='=HYPERLINK("http://evil")')
    application_in_state(call, org, owner, ApplicationState.SUBMITTED, title="+cmd|' /C calc'!A0")
    from tests.factories import call_full

    other_call = call_full(programme, code="other-call")
    application_in_state(other_call, make_org(make_user()), owner, ApplicationState.SUBMITTED, title="Not in this call")
    client.force_login(manager)
    response = client.get(f"/manage/calls/{call.pk}/applications/export.csv")
    assert response.status_code == 200 and "filename*=UTF-8''" in response["Content-Disposition"]
    text = response.getvalue().decode("utf-8-sig")  # streamed
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and rows[1][2].startswith("'=") and rows[1][6].startswith("'+")
    assert "Not in this call" not in text
    response = client.get(f"/manage/calls/{call.pk}/applications/export.xlsx?state=submitted")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][2].startswith("'=") and values[1][6].startswith("'+")
    # A manager of another programme gets 404.
    from datetime import date
    from decimal import Decimal

    from djmoney.money import Money

    from grants.calls.models import Programme

    other = Programme.objects.create(
        code="oth",
        title="Other",
        budget=Money(Decimal("1"), "EUR"),
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 1, 1),
    )
    client.force_login(grant_role(make_user(), other, ProgrammeRole.Role.MANAGER))
    assert client.get(f"/manage/calls/{call.pk}/applications/export.csv").status_code == 404


def test_applicant_exports_own_application(client, applicant, submitted):
    client.force_login(applicant)
    response = client.get(f"/applications/{submitted.pk}/export.csv")
    text = response.getvalue().decode("utf-8-sig")
    assert response.status_code == 200 and submitted.reference in text and submitted.receipt_sha256 in text


def test_withdraw_page(client, applicant, submitted):
    client.force_login(applicant)
    assert client.get(f"/applications/{submitted.pk}/withdraw/").status_code == 200
    client.post(f"/applications/{submitted.pk}/withdraw/", {"wd-reason": "Changed plans"})
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.WITHDRAWN


def test_dashboard_shows_the_applicants_applications(client, applicant, draft):
    client.force_login(applicant)
    page = client.get("/dashboard/").content.decode()
    assert f"/applications/{draft.pk}/" in page


def test_upload_via_page_and_download(client, applicant, colleague, draft):
    client.force_login(applicant)
    doc = draft.call.required_documents.first()
    response = client.post(
        f"/applications/{draft.pk}/attachments/", {"file": upload("statute.pdf", PDF), "document": doc.pk}
    )
    assert response.status_code == 302
    attachment = draft.attachments.get()
    client.force_login(colleague)  # another member of the organisation
    assert client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/").status_code == 200
    assert Membership.objects.filter(user=colleague).exists()


def test_autosave_reports_another_members_budget_only_when_asked(client, applicant, colleague, draft):
    values = services.application_values(draft, list(draft.call.questions.all()), [])
    base = services.application_hashes(values)
    heading = draft.call.budget_headings.first()
    services.application_autosave(
        actor=colleague,
        application_id=draft.pk,
        version=1,
        fields={"budget": [{"heading": heading.pk, "description": "Printing", "units": "1", "unit_cost": "500"}]},
    )
    client.force_login(applicant)
    quick = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps({"version": 2, "fields": {"title": "A"}, "base": {"title": base["title"]}}),
        content_type="application/json",
    ).json()
    assert "budget" not in quick["updates"] and "budget" not in quick["hashes"]
    full = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps(
            {"version": quick["version"], "fields": {"title": "B"}, "base": {**base, "title": quick["hashes"]["title"]}}
        ),
        content_type="application/json",
    ).json()
    assert full["updates"]["budget"][0]["description"] == "Printing"


def test_the_draft_form_says_who_reads_it_and_that_is_who_can(client, applicant, manager, draft, make_user):
    """The form tells the applicant that the programme's managers can read the draft (and
    reviewers cannot): true of the pages."""
    from django.urls import reverse

    client.force_login(applicant)
    page = client.get(reverse("applications:application_edit", args=[draft.pk])).content.decode()
    assert 'id="who-reads-drafts"' in page and "programme's managers" in page
    client.force_login(manager)
    assert client.get(reverse("applications:application_detail", args=[draft.pk])).status_code == 200
    client.force_login(make_user(email="somebody@example.org"))
    assert client.get(reverse("applications:application_detail", args=[draft.pk])).status_code == 404
