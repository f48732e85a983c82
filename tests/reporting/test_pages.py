"""Pages and API of grantee reports, PDFs of an application and a grant, dashboards: who sees
what (404 for other organisations and other programmes), autosave, and constant query counts."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import ProgrammeRole
from applications.models import ApplicationState
from applications.review.models import Review
from reporting.dashboard import dashboard_sections
from reporting.donor.dashboard import donor_section
from reporting.donor.figures import programme_figures
from reporting.donor.waiting import manager_counts, manager_section
from reporting.grantee.models import GranteeReportState, ReportDocument, ReportKind
from tests.factories import application_in_state
from tests.reporting.builders import make_grant

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.fixture
def report(grant):
    return grant.reports.get(kind=ReportKind.INTERIM)


def form_data(report, **narrative):
    data = {
        "version": report.version,
        "narrative_summary": "Підсумок",
        "narrative_activities": "Activities",
        "narrative_results": "Results",
    }
    for line in report.grant.budget_lines.all():
        data[f"spent_{line.pk}"] = "1000"
    data.update({f"narrative_{k}": v for k, v in narrative.items()})
    return data


def test_grantee_fills_in_autosaves_and_submits_through_the_page(report, grantee, manager, client):
    client.force_login(grantee)
    page = client.get(reverse("reports:report_detail", args=[report.pk]))
    assert page.status_code == 200 and "data-autosave" in page.content.decode()
    saved = client.post(
        reverse("reports:report_save", args=[report.pk]), form_data(report), HTTP_ACCEPT="application/json"
    )
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = client.post(
        reverse("reports:report_save", args=[report.pk]),
        form_data(report, summary="old tab"),
        HTTP_ACCEPT="application/json",
    )
    assert stale.status_code == 409 and stale.json()["version"] == 2
    report.refresh_from_db()
    response = client.post(reverse("reports:report_save", args=[report.pk]), {**form_data(report), "action": "submit"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == GranteeReportState.SUBMITTED and report.narrative["summary"] == "Підсумок"
    # the grantee cannot decide; the manager can
    assert client.post(reverse("reports:report_approve", args=[report.pk]), {}).status_code == 403
    client.force_login(manager)
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert "Approve" in page and "Ineligible costs" in page
    assert (
        client.post(reverse("reports:report_approve", args=[report.pk]), {"approve-comment": "Good."}).status_code
        == 302
    )
    report.refresh_from_db()
    assert report.state == GranteeReportState.APPROVED and report.manager_comment == "Good."


def test_other_organisations_and_donors_get_404(report, outsider, other_donor, donor_user, client):
    for user in (outsider, other_donor, donor_user):
        client.force_login(user)
        for name in ("reports:report_detail", "reports:report_save"):
            method = client.get if name == "reports:report_detail" else client.post
            assert method(reverse(name, args=[report.pk])).status_code == 404, (user, name)
    client.force_login(outsider)
    assert client.get(reverse("reports:grant_reports", args=[report.grant_id])).status_code == 404
    assert client.get(reverse("data:grant_summary_pdf", args=[report.grant_id])).status_code == 404
    client.force_login(other_donor)
    assert client.get(reverse("data:grant_summary_pdf", args=[report.grant_id])).status_code == 404


def test_supporting_documents_are_sniffed_and_served_only_to_those_who_see_the_report(
    report, grantee, outsider, manager, client
):
    client.force_login(grantee)
    fake = io.BytesIO(b"MZ\x90\x00 this is a program")
    fake.name = "receipts.pdf"
    response = client.post(reverse("reports:report_document_add", args=[report.pk]), {"file": fake})
    assert response.status_code == 400 and not ReportDocument.objects.exists()
    real = io.BytesIO(PDF)
    real.name = "Квитанції.pdf"
    assert client.post(reverse("reports:report_document_add", args=[report.pk]), {"file": real}).status_code == 302
    document = ReportDocument.objects.get()
    assert document.content_type == "application/pdf" and document.original_name == "Квитанції.pdf"
    url = reverse("reports:report_document_download", args=[document.pk])
    assert b"".join(client.get(url).streaming_content) == PDF
    client.force_login(manager)
    assert client.get(url).status_code == 200
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_grant_summary_pdf(grant, grantee, donor_user, client):
    # the grantee reads Ukrainian, the donor English: each sees amounts written their language's way
    for user, amount in ((grantee, "40 000,00"), (donor_user, "40,000.00")):
        client.force_login(user)
        response = client.get(reverse("data:grant_summary_pdf", args=[grant.pk]))
        assert response.status_code == 200
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        assert (
            grant.number in text
            and "Відкриті закупівлі в громадах" in text
            and amount in text.replace("\u202f", " ").replace("\xa0", " ")
        )
    assert "Interim report" in text


def test_application_pdf_is_blind_for_reviewers_of_a_blind_call(
    call, grantee_org, grantee, make_user, grant_role, manager, outsider, client
):
    type(call).objects.filter(pk=call.pk).update(blind_review=True)
    app = application_in_state(call, grantee_org, grantee, state=ApplicationState.UNDER_REVIEW, title="Прозорі громади")
    reviewer = grant_role(make_user("rev@example.org"), call.programme, ProgrammeRole.Role.REVIEWER)
    review = Review.objects.create(application=app, reviewer=reviewer, due_at=timezone.now())
    url = reverse("data:application_pdf", args=[app.pk])
    client.force_login(reviewer)
    assert client.get(url).status_code == 404  # no declaration yet: the reviewer does not see it at all
    review.declare_no_conflict()
    review.save()

    def text_for(user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)

    blind = text_for(reviewer)
    assert "Прозорі громади" in blind and "Центр протидії корупції" not in blind and "UA-EDR-" not in blind
    assert "Центр протидії корупції" in text_for(grantee) and "Центр протидії корупції" in text_for(manager)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_dashboard_page_has_a_section_per_role(grant, manager, donor_user, client):
    client.force_login(manager)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="dash-manager"' in page and "report to review" not in page
    client.force_login(donor_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="dash-donor"' in page and "EU for Integrity" in page
    assert client.get(reverse("donor:manager_dashboard")).status_code == 404


def _audited_change():
    from django.db import transaction

    from audit.services import audit_record

    with transaction.atomic():
        audit_record(actor=None, action="test_change")


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_dashboards_run_a_constant_number_of_queries(
    call, grantee_org, grantee, manager, donor_user, funded_programme, client
):
    make_grant(call, grantee_org, grantee)
    client.force_login(manager)
    sections = {
        "manager": lambda: manager_section(manager),
        "donor": lambda: donor_section(donor_user),
        "figures": lambda: programme_figures(funded_programme),
        "manager page": lambda: client.get(reverse("donor:manager_dashboard")),
        # Its figures are cached until the next audited change: one is made first, so both sizes
        # are measured computing them.
        "donor dashboard page": lambda: (
            _audited_change(),
            client.get(reverse("donor:donor_dashboard", args=[funded_programme.pk])),
        ),
        "report list": lambda: client.get(reverse("reports:report_list")),
    }
    for fn in sections.values():
        fn()  # warm the per-user role caches
    small = {name: _queries(fn) for name, fn in sections.items()}
    for i in range(5):
        grant = make_grant(call, grantee_org, grantee, number=f"EU4I-Q-{i}")
        report = grant.reports.get(kind=ReportKind.INTERIM)
        report.submit()
        report.save()
        application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED)
    assert manager_counts(manager)["reports_to_review"] == 5 and manager_counts(manager)["to_screen"] == 5
    large = {name: _queries(fn) for name, fn in sections.items()}
    assert large == small


def test_api_grantee_reports(report, grantee, outsider, manager):
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.get(f"/api/v1/grantee-reports/{report.pk}/").status_code == 404
    assert api.get("/api/v1/grantee-reports/").data["count"] == 0
    api.force_authenticate(grantee)
    detail = api.get(f"/api/v1/grantee-reports/{report.pk}/").data
    assert detail["available_transitions"] == ["submit"] and len(detail["financials"]["lines"]) == 2
    line = detail["financials"]["lines"][0]["budget_line"]
    saved = api.patch(
        f"/api/v1/grantee-reports/{report.pk}/",
        {
            "version": 1,
            "narrative": {"summary": "S", "activities": "A", "results": "R"},
            "expenditures": [{"budget_line": line, "amount_spent": "500.00"}],
        },
        format="json",
    )
    assert saved.status_code == 200 and saved.data["version"] == 2
    assert api.patch(f"/api/v1/grantee-reports/{report.pk}/", {"version": 1}, format="json").status_code == 409
    assert api.post(f"/api/v1/grantee-reports/{report.pk}/approve/").status_code == 403
    submitted = api.post(f"/api/v1/grantee-reports/{report.pk}/submit/")
    assert submitted.status_code == 200 and submitted.data["state"] == "submitted"
    assert api.post(f"/api/v1/grantee-reports/{report.pk}/submit/").status_code == 409
    api.force_authenticate(manager)
    assert api.get(f"/api/v1/grantee-reports/{report.pk}/").data["available_transitions"] == [
        "approve",
        "request_changes",
    ]
    changes = api.post(f"/api/v1/grantee-reports/{report.pk}/request_changes/", {"comment": ""}, format="json")
    assert changes.status_code == 400
    approved = api.post(f"/api/v1/grantee-reports/{report.pk}/approve/", {"comment": "ok"}, format="json")
    assert approved.status_code == 200 and approved.data["state"] == "approved"


def test_dashboard_sections_are_wired(grant, manager, donor_user):
    assert [name for name, _t, _c in dashboard_sections(manager, ["manager"])] == ["manager"]
    assert [name for name, _t, _c in dashboard_sections(donor_user, ["donor"])] == ["donor"]


def test_manager_counts_what_waits(call, grantee_org, grantee, manager, make_user, grant_role, other_programme):
    from datetime import timedelta
    from decimal import Decimal

    from applications.review.models import ReviewState

    divergent = application_in_state(call, grantee_org, grantee, state=ApplicationState.UNDER_REVIEW)
    close = application_in_state(call, grantee_org, grantee, state=ApplicationState.UNDER_REVIEW)
    for app, totals in ((divergent, ("8", "14")), (close, ("10", "11"))):  # threshold 3 points
        for i, total in enumerate(totals):
            reviewer = grant_role(make_user(f"r{app.pk}-{i}@example.org"), call.programme, ProgrammeRole.Role.REVIEWER)
            review = Review.objects.create(
                application=app, reviewer=reviewer, due_at=timezone.now() + timedelta(days=3)
            )
            review.declare_no_conflict()
            review.submit()
            review.weighted_total = Decimal(total)
            review.save()
            assert review.state == ReviewState.SUBMITTED
    late = Review.objects.create(
        application=close, reviewer=make_user("late@example.org"), due_at=timezone.now() - timedelta(days=1)
    )
    application_in_state(call, grantee_org, grantee, state=ApplicationState.REVIEWED)
    application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED)
    grant = make_grant(call, grantee_org, grantee)
    tranche = grant.tranches.get(position=1)
    tranche.make_due()
    tranche.due_on = timezone.localdate() - timedelta(days=2)
    tranche.save()
    counts = manager_counts(manager)
    assert (
        counts["to_screen"],
        counts["divergent"],
        counts["decisions_pending"],
        counts["tranches_to_approve"],
        counts["reviews_overdue"],
        counts["tranches_overdue"],
        counts["reports_overdue"],
    ) == (1, 1, 1, 1, 1, 1, 1)
    assert late.state == ReviewState.ASSIGNED
    other_manager = grant_role(make_user("m-other@example.org"), other_programme, ProgrammeRole.Role.MANAGER)
    assert manager_counts(other_manager)["total"] == 0


def test_what_waits_for_a_manager_is_reused_until_an_audited_change(call, grantee_org, grantee, manager, client):
    """The waiting page and the dashboard read their counts from the cache until something audited
    happens: screening an application (through the service) shows at once."""
    from applications.services.screening import application_mark_eligible, checklist_items

    first = application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED)
    application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED)
    client.force_login(manager)
    url = reverse("donor:manager_dashboard")
    assert client.get(url).context["counts"]["to_screen"] == 2
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).context["counts"]["to_screen"] == 2
    assert not any("reporting_granteereport" in q["sql"] for q in warm.captured_queries)  # nothing counted again
    application_mark_eligible(
        actor=manager, application_id=first.pk, checklist={key: True for key, _label in checklist_items()}
    )
    assert client.get(url).context["counts"]["to_screen"] == 1
    assert client.get(reverse("dashboard")).context["sections"]


def test_each_pdf_has_an_accessible_html_twin_for_the_same_readers(report, grantee, outsider, manager, client):
    grant = report.grant
    client.force_login(grantee)
    twin = client.get(reverse("data:grant_summary_html", args=[grant.pk])).content.decode()
    assert "<h1>" in twin and grant.number in twin and "<table" in twin and '<th scope="col">' in twin
    pdf = PdfReader(io.BytesIO(client.get(reverse("data:grant_summary_pdf", args=[grant.pk])).content))
    assert pdf.trailer["/Root"]["/Lang"] == "uk" and pdf.metadata.title == grant.number  # the reader's language
    assert grant.number in pdf.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    application = grant.application
    page = client.get(reverse("data:application_html", args=[application.pk])).content.decode()
    assert application.title in page and "What problem does the action address?" in page
    client.force_login(outsider)
    assert client.get(reverse("data:grant_summary_html", args=[grant.pk])).status_code == 404
    assert client.get(reverse("data:application_html", args=[application.pk])).status_code == 404


def test_attaching_a_document_saves_what_was_typed_first(report, grantee, client):
    """The "Attach" button belongs to the report's form: the typed text arrives with the file and
    is saved before the upload, whether the file is taken or refused."""
    import re

    client.force_login(grantee)
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert 'form="report-form" formaction="' + reverse("reports:report_document_add", args=[report.pk]) in page
    assert re.search(r'<input type="file" name="file"[^>]* form="report-form"', page)
    field = re.search(r'name="(narrative_\w+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fake = io.BytesIO(b"MZ\x90\x00 this is a program")
    fake.name = "receipts.pdf"
    typed = "Ми провели 12 навчань для місцевих журналістів."
    response = client.post(
        reverse("reports:report_document_add", args=[report.pk]),
        {"version": version, field: typed, "action": "attach", "file": fake},
    )
    assert response.status_code == 400 and not ReportDocument.objects.exists()  # the file is refused ...
    report.refresh_from_db()
    assert typed in report.narrative.values()  # ... and the text is kept
    assert typed in response.content.decode()
    real = io.BytesIO(PDF)
    real.name = "Квитанції.pdf"
    more = typed + " І ще дві зустрічі."
    response = client.post(
        reverse("reports:report_document_add", args=[report.pk]),
        {"version": str(report.version), field: more, "action": "attach", "file": real},
    )
    assert response.status_code == 302 and ReportDocument.objects.count() == 1
    report.refresh_from_db()
    assert more in report.narrative.values()


def test_what_waits_leads_to_the_pages_where_the_work_is_done(call, grantee_org, grantee, manager, outsider, client):
    """Each item opens its action page (screening, consensus, decision, tranche, report), never the
    PDF; each count on the dashboard is a link to the list of those items."""
    from grants.disbursement.models import TrancheState

    to_screen = application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED)
    to_decide = application_in_state(call, grantee_org, grantee, state=ApplicationState.REVIEWED)
    grant = make_grant(call, grantee_org, grantee, number="EU4I-W-1")
    report = grant.reports.get(kind=ReportKind.INTERIM)
    report.submit()
    report.save()
    tranche = grant.tranches.order_by("position").first()
    if tranche.state != TrancheState.DUE:
        tranche.make_due()
        tranche.save()
    client.force_login(manager)
    page = client.get(reverse("donor:manager_dashboard")).content.decode()
    assert reverse("applications:application_detail", args=[to_screen.pk]) + "#screening-title" in page
    assert reverse("reviews:review_application", args=[to_decide.pk]) + "#decision-heading" in page
    assert reverse("reports:report_detail", args=[report.pk]) in page
    assert reverse("grants:grant_detail", args=[grant.pk]) + f"#tranche-{tranche.position}" in page
    assert "/pdf/" not in page
    for path in (
        reverse("applications:application_detail", args=[to_screen.pk]),
        reverse("reviews:review_application", args=[to_decide.pk]),
    ):
        assert client.get(path).status_code == 200  # the manager acts there
    dashboard = client.get(reverse("dashboard")).content.decode()
    waiting = reverse("donor:manager_dashboard")
    assert f'<a href="{waiting}#screen-h">1 application to screen</a>' in dashboard
    assert f'<a href="{waiting}#dec-h">1 decision pending</a>' in dashboard
    reports = reverse("reports:report_list") + "?state=submitted"
    assert f'<a href="{reports}">1 report to review</a>' in dashboard
    listed = client.get(reports).content.decode()
    assert reverse("reports:report_detail", args=[report.pk]) in listed
    client.force_login(outsider)
    assert client.get(waiting).status_code == 404
    assert client.get(reverse("reviews:review_application", args=[to_decide.pk])).status_code == 404


def test_the_grant_history_reads_in_words(grant, manager, client):
    from django.db import transaction

    from audit.services import audit_record

    with transaction.atomic():
        audit_record(actor=manager, action="payment_record", obj=grant)
    client.force_login(manager)
    page = client.get(reverse("grants:grant_detail", args=[grant.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert "Payment recorded" in history and "payment_record" not in history and "<code>" not in history
    client.cookies["django_language"] = "uk"
    page = client.get(reverse("grants:grant_detail", args=[grant.pk]), HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "payment_record" not in page[page.index('id="history"') :]


def test_the_grant_page_shows_its_indicators_with_what_was_reached(grant, grantee, client):
    from reporting.grantee.models import Indicator

    Indicator.objects.create(grant=grant, position=1, name="Journalists trained", unit="people", target=40)
    client.force_login(grantee)
    page = client.get(reverse("grants:grant_detail", args=[grant.pk])).content.decode()
    assert 'id="indicators"' in page and "Journalists trained" in page
