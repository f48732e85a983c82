"""Donor reports and exports are never stranded: a job whose task was lost (the broker's queue
flushed) is queued again by the periodic sweep once its lease has ended, and its person may
retry it from its page then (not before); a job run twice ends with one file and one "finish";
old files are removed after the retention period while the rows stay as history.

The real worker and broker are in tests/integration/test_stranded_jobs_worker.py; here tasks run
in-process (eager), and "the task was lost" is a request whose commit hook never ran."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.clock import database_now
from reporting.data import jobs
from reporting.data.models import ExportJob
from reporting.data.tasks import export_files_expire, export_jobs_requeue_stale
from reporting.donor import services as donor_reports
from reporting.donor.models import DonorReport, DonorReportState
from reporting.donor.tasks import donor_report_files_expire, donor_reports_requeue_stale
from tests.conftest import stored_files
from tests.reporting.builders import make_grant
from workers.celery import app
from workers.models import Notification


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    settings.HROMADA_GENERATED_FILE_RETENTION_DAYS = 30


@pytest.fixture
def portfolio(call, grantee_org, grantee):
    return make_grant(call, grantee_org, grantee, amount="40000", title="Відкриті закупівлі")


def lost_report(actor, programme) -> DonorReport:
    """A report requested while its task never reaches a worker (the commit hook is not run)."""
    return donor_reports.donor_report_request(
        actor=actor, programme_id=programme.pk, period_start=date(2020, 1, 1), period_end=date(2030, 12, 31)
    )


def lease_ends(model, pk) -> None:
    """Time passes: the job's lease is over."""
    model.objects.filter(pk=pk).update(lease_until=database_now() - timedelta(seconds=1))


def events(obj, action) -> int:
    return AuditEvent.objects.filter(object_id=str(obj.pk), object_type=obj._meta.label_lower, action=action).count()


def test_the_beat_runs_the_sweeps_and_the_file_retention():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "reporting.donor.tasks.donor_reports_requeue_stale",
        "reporting.data.tasks.export_jobs_requeue_stale",
        "reporting.donor.tasks.donor_report_files_expire",
        "reporting.data.tasks.export_files_expire",
    } <= tasks


def test_a_lost_donor_report_is_queued_again_by_the_sweep_once_its_lease_ends(portfolio, donor_user, funded_programme):
    report = lost_report(donor_user, funded_programme)
    assert donor_reports_requeue_stale.apply(throw=True).get() == 0  # within its lease: left alone
    assert DonorReport.objects.get(pk=report.pk).state == DonorReportState.QUEUED

    lease_ends(DonorReport, report.pk)
    assert donor_reports_requeue_stale.apply(throw=True).get() == 1

    report.refresh_from_db()
    assert report.state == DonorReportState.READY, report.error
    assert stored_files("donor_reports") == [f"donor-report-{report.pk}.pdf"]
    assert events(report, "requeue") == 1 and events(report, "finish") == 1
    assert donor_reports_requeue_stale.apply(throw=True).get() == 0  # a repeat finds nothing


def test_a_generating_report_whose_worker_died_is_requeued_and_one_that_keeps_dying_fails(
    portfolio, donor_user, funded_programme
):
    report = lost_report(donor_user, funded_programme)
    DonorReport.objects.filter(pk=report.pk).update(state=DonorReportState.GENERATING, attempts=1)
    lease_ends(DonorReport, report.pk)
    assert donor_reports_requeue_stale.apply(throw=True).get() == 1
    assert DonorReport.objects.get(pk=report.pk).state == DonorReportState.READY

    dying = lost_report(donor_user, funded_programme)
    DonorReport.objects.filter(pk=dying.pk).update(
        state=DonorReportState.GENERATING, attempts=donor_reports.MAX_ATTEMPTS
    )
    lease_ends(DonorReport, dying.pk)
    assert donor_reports_requeue_stale.apply(throw=True).get() == 0
    dying.refresh_from_db()
    assert dying.state == DonorReportState.FAILED and "interrupted" in dying.error


def test_the_person_retries_a_stale_report_from_its_page_but_not_a_fresh_one(
    portfolio, donor_user, funded_programme, client, django_capture_on_commit_callbacks
):
    report = lost_report(donor_user, funded_programme)
    client.force_login(donor_user)
    detail = reverse("donor:donor_report_detail", args=[report.pk])
    retry = reverse("donor:donor_report_retry", args=[report.pk])

    assert retry not in client.get(detail).content.decode()  # fresh: no button
    page = client.post(retry, follow=True).content.decode()
    assert "still being generated" in page
    assert DonorReport.objects.get(pk=report.pk).state == DonorReportState.QUEUED

    lease_ends(DonorReport, report.pk)
    page = client.get(detail).content.decode()
    assert "stalled" in page and retry in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    page = client.get(response["Location"]).content.decode()
    assert "queued again" in page and "Download PDF" in page
    report.refresh_from_db()
    assert report.state == DonorReportState.READY and events(report, "finish") == 1


def test_the_api_offers_and_refuses_the_retry_of_a_stale_report(portfolio, donor_user, funded_programme, client):
    report = lost_report(donor_user, funded_programme)
    client.force_login(donor_user)
    url = f"/api/v1/donor-reports/{report.pk}/"
    assert client.get(url).json()["available_transitions"] == []
    assert client.post(url + "retry/").status_code == 409
    lease_ends(DonorReport, report.pk)
    assert client.get(url).json()["available_transitions"] == ["retry"]


def test_a_donor_report_generated_twice_at_once_writes_one_file_and_finishes_once(
    portfolio, donor_user, funded_programme
):
    from reporting.donor.pdf.report import donor_report_build

    report = lost_report(donor_user, funded_programme)
    overtaken = []

    def slow_build(out, *args, **kwargs):
        if not overtaken:  # while this attempt writes, a second one (the sweep's) runs to the end
            overtaken.append(donor_reports.donor_report_generate(report_id=report.pk))
        return donor_report_build(out, *args, **kwargs)

    donor_reports.donor_report_generate(report_id=report.pk, builder=slow_build)

    report.refresh_from_db()
    assert overtaken[0].state == report.state == DonorReportState.READY
    assert stored_files("donor_reports") == [f"donor-report-{report.pk}.pdf"]
    assert events(report, "finish") == 1
    assert Notification.objects.filter(kind="donor_report_ready", object_id=str(report.pk)).count() == 1


def test_an_export_run_twice_at_once_writes_one_file_and_finishes_once(portfolio, manager, monkeypatch):
    job = jobs.export_job_request(actor=manager, kind="grants", file_format="csv")
    real_write = jobs.export_write
    overtaken = []

    def write(*args, **kwargs):
        if not overtaken:  # while this attempt writes, a second one (the sweep's) runs to the end
            overtaken.append("running")
            overtaken.append(jobs.export_job_run(job_id=job.pk))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(jobs, "export_write", write)
    jobs.export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == ExportJob.State.READY
    assert stored_files("exports") == [job.stored_name]
    assert events(job, "export_job_finish") == 1
    assert Notification.objects.filter(kind="export_ready", object_id=str(job.pk)).count() == 1


def test_a_lost_export_is_queued_again_and_retried_from_its_page(
    portfolio, manager, grantee, client, django_capture_on_commit_callbacks
):
    job = jobs.export_job_request(actor=manager, kind="grants", file_format="csv")  # the task is lost
    client.force_login(manager)
    page_url = reverse("data:export_job", args=[job.pk])
    retry = reverse("data:export_job_retry", args=[job.pk])
    assert retry not in client.get(page_url).content.decode()
    assert "still being prepared" in client.post(retry, follow=True).content.decode()
    assert export_jobs_requeue_stale.apply(throw=True).get() == 0

    lease_ends(ExportJob, job.pk)
    assert "stalled" in client.get(page_url).content.decode()
    client.force_login(grantee)
    assert client.post(retry).status_code == 404  # not theirs
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert "queued again" in client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.state == ExportJob.State.READY and job.attempts == 1

    other = jobs.export_job_request(actor=manager, kind="tranches", file_format="xlsx")
    lease_ends(ExportJob, other.pk)
    assert export_jobs_requeue_stale.apply(throw=True).get() == 1
    assert ExportJob.objects.get(pk=other.pk).state == ExportJob.State.READY
    assert events(other, "export_job_requeue") == 1 and events(other, "export_job_finish") == 1


def test_old_donor_report_files_are_removed_and_the_rows_kept(
    portfolio, donor_user, funded_programme, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old, recent = lost_report(donor_user, funded_programme), lost_report(donor_user, funded_programme)
    DonorReport.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))
    DonorReport.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - timedelta(days=29))

    with django_capture_on_commit_callbacks(execute=True):
        assert donor_report_files_expire.apply(throw=True).get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert donor_report_files_expire.apply(throw=True).get() == 0  # a repeat removes nothing

    old.refresh_from_db()
    assert old.state == DonorReportState.READY and old.file_removed_at is not None
    assert stored_files("donor_reports") == [f"donor-report-{recent.pk}.pdf"]
    assert events(old, "donor_report_file_remove") == 1
    client.force_login(donor_user)
    assert client.get(reverse("donor:donor_report_download", args=[old.pk])).status_code == 404
    page = client.get(reverse("donor:donor_report_detail", args=[old.pk])).content.decode()
    assert "The file was removed after 30 days" in page and "Download PDF" not in page
    listing = client.get(reverse("donor:donor_report_list")).content.decode()
    assert "File removed after 30 days" in listing
    assert client.get(f"/api/v1/donor-reports/{old.pk}/").json()["download_url"] is None
    assert client.get(reverse("donor:donor_report_download", args=[recent.pk])).status_code == 200


def test_old_export_files_are_removed_and_the_rows_kept(portfolio, manager, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = jobs.export_job_request(actor=manager, kind="grants", file_format="csv")
        recent = jobs.export_job_request(actor=manager, kind="grants", file_format="xlsx")
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):
        assert export_files_expire.apply(throw=True).get() == 1

    old.refresh_from_db()
    assert old.state == ExportJob.State.READY and old.file_removed_at is not None
    assert stored_files("exports") == [f"export-{recent.pk}.xlsx"]
    client.force_login(manager)
    assert client.get(reverse("data:export_job_download", args=[old.pk])).status_code == 404
    page = client.get(reverse("data:export_job", args=[old.pk])).content.decode()
    assert "The file was removed after 30 days" in page
    assert "file removed after 30 days" in client.get(reverse("data:export_list")).content.decode()
    assert client.get(reverse("data:export_job_download", args=[recent.pk])).status_code == 200
