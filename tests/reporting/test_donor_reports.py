"""Donor reports: the PDF's text (Ukrainian and Armenian names, the figures), markup in user
text printed literally without reading any file, the request → task → ready | failed cycle,
retry, never serving a half-written file, and who may download."""

import builtins
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEvent
from core.storage import file_open, file_save
from grants.calls.models import ProgrammeIndicator
from reporting.donor import services as donor_reports
from reporting.donor.figures import programme_figures
from reporting.donor.models import DonorReport, DonorReportState
from reporting.grantee.models import Indicator
from tests.conftest import stored_files
from tests.reporting.builders import make_grant, pay_tranche
from workers.models import Notification

INJECTION = '<font name="x"><img src="/etc/passwd"/></font> & <b>bold</b>'


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.fixture
def portfolio(call, grantee_org, grantee, make_org, make_user, manager, finance):
    """Two grants, one Ukrainian and one Armenian, the first with its first tranche paid."""
    armenian_user = make_user("am@example.org", language="hy")
    armenian = make_org(armenian_user, country="AM", legal_name="Հակակոռուպցիոն կենտրոն")
    first = make_grant(call, grantee_org, grantee, amount="40000", title="Відкриті закупівлі в громадах")
    second = make_grant(call, armenian, armenian_user, amount="30000", title="Բաց տվյալներ համայնքներում")
    pay_tranche(first.tranches.get(position=1), manager, finance)
    return first, second


def pdf_text(name) -> str:
    """The text of every page of a stored PDF; the thin spaces grouping thousands read as plain spaces."""
    with file_open(name) as fh:
        text = "\n".join(page.extract_text() for page in PdfReader(fh).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def request_report(actor, programme, capture, **extra):
    with capture(execute=True):
        report = donor_reports.donor_report_request(
            actor=actor,
            programme_id=programme.pk,
            period_start=date(2020, 1, 1),
            period_end=date(2030, 12, 31),
            language=extra.get("language", "en"),
        )
    return DonorReport.objects.get(pk=report.pk)


def test_the_pdf_shows_ukrainian_and_armenian_names_and_the_figures(
    portfolio, donor_user, funded_programme, django_capture_on_commit_callbacks
):
    report = request_report(donor_user, funded_programme, django_capture_on_commit_callbacks)
    assert report.state == DonorReportState.READY, report.error
    assert report.progress == 100 and 3 <= report.pages <= 5  # sections flow: no near-empty pages
    text = pdf_text(donor_reports.donor_report_path(report))
    assert "Центр протидії корупції" in text and "Հակակոռուպցիոն կենտրոն" in text
    assert "EU for Integrity" in text and "European Union" in text
    # key figures: budget, commitments (40,000 + 30,000), disbursed (40% of 40,000)
    assert "Budget\n2,500,000.00 EUR" in text
    assert "Committed (awarded)\n70,000.00 EUR (2.8%)" in text
    assert "Disbursed\n16,000.00 EUR (22.9% of commitments)" in text
    # the funnel and the portfolio
    assert "Applications: the funnel" in text and "Portfolio of grants" in text
    first, second = portfolio
    assert first.number in text and second.number in text
    figures = programme_figures(funded_programme, date(2020, 1, 1), date(2030, 12, 31))
    assert (figures.funnel_total.submitted, figures.funnel_total.awarded, figures.grants) == (2, 2, 2)
    assert Notification.objects.filter(kind="donor_report_ready", email=donor_user.email).exists()
    assert AuditEvent.objects.filter(action="finish", object_type="reporting.donorreport").exists()


def test_the_report_in_ukrainian(portfolio, donor_user, funded_programme, django_capture_on_commit_callbacks):
    funded_programme.title_uk = "ЄС за доброчесність"
    funded_programme.save()
    report = request_report(donor_user, funded_programme, django_capture_on_commit_callbacks, language="uk")
    assert report.state == DonorReportState.READY, report.error
    assert "ЄС за доброчесність" in pdf_text(donor_reports.donor_report_path(report))


def test_markup_in_user_text_prints_literally_and_reads_no_file(
    call, grantee_org, grantee, donor_user, funded_programme, monkeypatch, django_capture_on_commit_callbacks
):
    grantee_org.legal_name = INJECTION
    grantee_org.save()
    type(funded_programme).objects.filter(pk=funded_programme.pk).update(title=INJECTION)
    funded_programme.refresh_from_db()
    make_grant(call, grantee_org, grantee, title=INJECTION)
    opened = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    report = request_report(donor_user, funded_programme, django_capture_on_commit_callbacks)
    monkeypatch.setattr(builtins, "open", real_open)
    assert report.state == DonorReportState.READY, report.error
    assert not any("passwd" in name for name in opened)
    text = pdf_text(donor_reports.donor_report_path(report))
    assert '<img src="/etc/passwd"/>' in text and "<b>bold</b>" in text and '<font name="x">' in text


def test_a_failure_is_kept_with_its_reason_and_can_be_retried(
    portfolio, donor_user, funded_programme, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(out, *args, **kwargs):
        out.write(b"%PDF-1.4 half")  # half a file, then the failure
        raise RuntimeError("disk full")

    real = donor_reports.donor_report_generate
    monkeypatch.setattr(
        donor_reports, "donor_report_generate", lambda *, report_id: real(report_id=report_id, builder=broken)
    )
    report = request_report(donor_user, funded_programme, django_capture_on_commit_callbacks)
    assert report.state == DonorReportState.FAILED and "disk full" in report.error
    assert not report.stored_name and not stored_files("donor_reports")  # no half-written file left
    assert Notification.objects.filter(kind="donor_report_failed").exists()
    monkeypatch.setattr(donor_reports, "donor_report_generate", real)
    with django_capture_on_commit_callbacks(execute=True):
        donor_reports.donor_report_retry(actor=donor_user, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == DonorReportState.READY and report.attempts == 2 and report.error == ""


def test_the_task_is_idempotent(portfolio, donor_user, funded_programme, django_capture_on_commit_callbacks):
    from reporting.donor.tasks import donor_report_generate_task

    report = request_report(donor_user, funded_programme, django_capture_on_commit_callbacks)
    finished_at = report.finished_at
    assert donor_report_generate_task.apply(args=[report.pk]).get() == DonorReportState.READY
    report.refresh_from_db()
    assert report.finished_at == finished_at and report.attempts == 1


def test_nothing_is_served_before_ready_and_only_to_the_programme(
    portfolio, donor_user, other_donor, outsider, manager, funded_programme, client
):
    report = DonorReport.objects.create(
        programme=funded_programme,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        requested_by=donor_user,
    )
    url = reverse("donor:donor_report_download", args=[report.pk])
    client.force_login(donor_user)
    assert client.get(url).status_code == 404  # queued: nothing to serve
    # a file being written under the final name is not served either while the state is not READY
    file_save(f"donor_reports/donor-report-{report.pk}.pdf", ContentFile(b"%PDF-1.4 partial"))
    DonorReport.objects.filter(pk=report.pk).update(stored_name=f"donor-report-{report.pk}.pdf")
    assert client.get(url).status_code == 404
    donor_reports.donor_report_generate(report_id=report.pk)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(manager)
    assert client.get(url).status_code == 200
    for intruder in (other_donor, outsider):
        client.force_login(intruder)
        assert client.get(url).status_code == 404
        assert client.get(reverse("donor:donor_report_detail", args=[report.pk])).status_code == 404
        assert client.get(reverse("donor:donor_dashboard", args=[funded_programme.pk])).status_code == 404


def test_request_page_progress_and_retry_button(
    portfolio, donor_user, funded_programme, client, django_capture_on_commit_callbacks
):
    client.force_login(donor_user)
    page = client.get(reverse("donor:donor_report_list"))
    assert page.status_code == 200 and "EU for Integrity" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("donor:donor_report_list"),
            {
                "programme": funded_programme.pk,
                "period_start": "2020-01-01",
                "period_end": "2030-12-31",
                "language": "en",
            },
        )
    report = DonorReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "donor:donor_report_detail", args=[report.pk]
    )
    detail = client.get(response["Location"]).content.decode()
    assert "Download PDF" in detail
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Download PDF" in partial


def test_a_donor_cannot_request_a_report_of_another_programme(other_donor, funded_programme):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        donor_reports.donor_report_request(
            actor=other_donor,
            programme_id=funded_programme.pk,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
        )


def test_api_request_and_follow(
    portfolio, donor_user, other_donor, funded_programme, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(donor_user)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/donor-reports/",
            {
                "programme": funded_programme.pk,
                "period_start": "2020-01-01",
                "period_end": "2030-12-31",
                "language": "en",
            },
            format="json",
        )
    assert created.status_code == 201, created.content
    detail = api.get(f"/api/v1/donor-reports/{created.data['id']}/").data
    assert detail["state"] == "ready" and detail["download_url"].endswith("/download/")
    api.force_authenticate(other_donor)
    assert api.get(f"/api/v1/donor-reports/{created.data['id']}/").status_code == 404
    refused = api.post(
        "/api/v1/donor-reports/",
        {"programme": funded_programme.pk, "period_start": "2020-01-01", "period_end": "2030-12-31"},
        format="json",
    )
    assert refused.status_code == 400 and "programme" in refused.data
    assert DonorReport.objects.count() == 1


def test_the_chart_images_and_the_dashboard_show_the_same_numbers(portfolio, donor_user, funded_programme, client):
    client.force_login(donor_user)
    page = client.get(reverse("donor:donor_dashboard", args=[funded_programme.pk])).content.decode()
    assert "70,000.00 EUR (2.8%)" in page and "Հակակոռուպցիոն կենտրոն" not in page  # figures, not the portfolio
    svg = client.get(reverse("donor:donor_chart", args=[funded_programme.pk, "funnel"]))
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    assert client.get(reverse("donor:donor_chart", args=[funded_programme.pk, "nope"])).status_code == 404


def test_a_pdf_builds_for_an_empty_programme(
    other_programme, make_user, grant_role, django_capture_on_commit_callbacks
):
    from accounts.models import ProgrammeRole

    donor = grant_role(make_user("empty@example.org"), other_programme, ProgrammeRole.Role.DONOR)
    report = request_report(donor, other_programme, django_capture_on_commit_callbacks)
    assert report.state == DonorReportState.READY, report.error
    assert "No data yet" in pdf_text(donor_reports.donor_report_path(report))


def test_the_dashboard_reuses_its_figures_until_something_audited_changes_them(
    portfolio, donor_user, funded_programme, manager, finance, client
):
    """The donor dashboard's figures are computed once per change: a second visit reads them from
    the cache (fewer queries), and a payment recorded through the service shows at once."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.disbursement.services import payment_record, tranche_approve

    def page():
        html = client.get(url).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)

    first, _second = portfolio
    client.force_login(donor_user)
    url = reverse("donor:donor_dashboard", args=[funded_programme.pk])
    with CaptureQueriesContext(connection) as cold:
        before = page()
    with CaptureQueriesContext(connection) as warm:
        assert page() == before
    assert len(warm.captured_queries) < len(cold.captured_queries) - 5
    tranche = first.tranches.get(position=2)
    tranche.make_due()
    tranche.due_amount = tranche.planned_amount
    tranche.save()
    tranche_approve(actor=manager, tranche_id=tranche.pk)
    payment_record(
        actor=finance,
        tranche_id=tranche.pk,
        paid_on=date.today(),
        amount=tranche.planned_amount,
        currency="EUR",
        bank_reference="UA-TR-2",
    )
    after = page()
    assert after != before and "% of commitments disbursed" in after


def test_the_pdf_names_its_language_and_title_and_has_an_html_twin(
    portfolio, donor_user, other_donor, funded_programme, client, django_capture_on_commit_callbacks
):
    indicator = ProgrammeIndicator.objects.create(
        programme=funded_programme, code="OC1", name="People trained", target=Decimal("100")
    )
    Indicator.objects.create(grant=portfolio[0], name="Trained", target=Decimal("40"), programme_indicator=indicator)
    report = request_report(donor_user, funded_programme, django_capture_on_commit_callbacks, language="uk")
    with file_open(donor_reports.donor_report_path(report)) as fh:
        reader = PdfReader(fh)
        root = reader.trailer["/Root"]
        assert root["/Lang"] == "uk"
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert "<dc:language><rdf:Bag><rdf:li>uk</rdf:li>" in xmp and "EU for Integrity" in xmp
        assert reader.metadata.title.startswith("Звіт") or "EU for Integrity" in reader.metadata.title
        text = "\n".join(page.extract_text() for page in reader.pages)
    assert "OC1 People trained" in text
    client.force_login(donor_user)
    twin = client.get(reverse("donor:donor_report_html", args=[report.pk])).content.decode()
    assert '<article lang="uk">' in twin and "<table" in twin and portfolio[0].number in twin
    assert "OC1 People trained" in twin
    detail = client.get(reverse("donor:donor_report_detail", args=[report.pk])).content.decode()
    assert reverse("donor:donor_report_html", args=[report.pk]) in detail
    client.force_login(other_donor)
    assert client.get(reverse("donor:donor_report_html", args=[report.pk])).status_code == 404
