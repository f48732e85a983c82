"""Report forms built with the same builder as applications: the grantee's report page draws the
call's interim report form, saves typed answers, refuses wrong ones, and submission asks for the
required ones shown; a call without a report form keeps the fixed narrative sections."""

import pytest
from django.urls import reverse

from grants.calls.form import builder
from reporting.grantee import services
from reporting.grantee.models import GranteeReportState, ReportKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_form(call, manager):
    section = builder.section_save(actor=manager, call_id=call.pk, purpose="interim", values={"title_en": "Progress"})
    held = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="interim",
        section_id=section.pk,
        values={"text_en": "Events held", "kind": "number", "required": True},
        options={"min": "0"},
    )
    events = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="interim",
        section_id=section.pk,
        values={"text_en": "Event list", "kind": "table", "required": True},
        options={
            "columns": [
                {"key": "c1", "label": {"en": "Place"}, "kind": "text"},
                {"key": "c2", "label": {"en": "Date"}, "kind": "date"},
            ]
        },
        condition={"question": held.pk, "op": "above", "value": "0"},
    )
    return held, events


def test_the_report_page_draws_the_calls_report_form_and_saves_typed_answers(client, grant, grantee, report_form):
    held, events = report_form
    report = grant.reports.get(kind=ReportKind.INTERIM)
    client.force_login(grantee)
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert "Events held" in page and "Event list" in page and 'data-condition="' in page
    assert "Summary of progress" not in page  # the fixed sections give way to the call's form
    response = client.post(
        reverse("reports:report_save", args=[report.pk]),
        {"version": report.version, f"q{held.pk}": "two"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and response.json()["errors"][f"q{held.pk}"] == [
        "Введіть число."
    ]  # the grantee reads Ukrainian
    response = client.post(
        reverse("reports:report_save", args=[report.pk]),
        {
            "version": report.version,
            f"q{held.pk}": "2",
            f"q{events.pk}-c1": ["Lviv", ""],
            f"q{events.pk}-c2": ["2027-02-01", ""],
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.narrative[str(held.pk)] == "2"
    assert report.narrative[str(events.pk)] == [{"c1": "Lviv", "c2": "2027-02-01"}]


def test_submitting_asks_for_the_shown_required_answers(grant, grantee, report_form):
    held, events = report_form
    report = grant.reports.get(kind=ReportKind.INTERIM)
    services.grantee_report_save(
        actor=grantee, report_id=report.pk, version=report.version, answers={f"q{held.pk}": "3"}
    )
    with pytest.raises(Exception, match="Answer the question “Event list”"):
        services.grantee_report_submit(actor=grantee, report_id=report.pk)
    report.refresh_from_db()
    services.grantee_report_save(
        actor=grantee, report_id=report.pk, version=report.version, answers={f"q{held.pk}": "0"}
    )
    report.refresh_from_db()
    problems = services._submit_problems(report)
    assert not any("Event list" in p for p in problems)  # hidden: no events, no list
    assert report.state == GranteeReportState.SCHEDULED
