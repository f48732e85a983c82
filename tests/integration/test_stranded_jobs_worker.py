"""The broker loses its queue (Redis flushed) with a donor report or an export queued in it: the
job stays "queued" and a retry is refused while its lease runs; once the lease has ended the
periodic sweep queues it again — here twice, as two beats would — and a real worker on Redis
makes it exactly once: one file, one "finish" event, one e-mail."""

import time
from dataclasses import dataclass
from datetime import date

import pytest
import redis

from tests.conftest import stored_files
from tests.integration.conftest import celery_use_broker, wait_for

pytestmark = pytest.mark.integration

LEASE = 3  # seconds: the lease this test's process gives a queued job


@dataclass
class Broker:
    url: str
    client: redis.Redis
    queue: str
    env: dict

    def queued(self) -> int:
        """Tasks waiting in this test's queue."""
        return self.client.llen(self.queue)

    def flush(self) -> None:
        """Redis flushed (or replaced by an empty one): every queued task is gone."""
        self.client.flushall()


@pytest.fixture
def broker(private_redis, start_worker, settings, tmp_path):
    """This process sends to a broker of the test's own, to which no worker listens yet."""
    from workers.celery import app

    celery_use_broker(app, private_redis.url)
    settings.CELERY_BROKER_URL = private_redis.url
    settings.HROMADA_JOB_LEASE_SECONDS = LEASE
    storage = tmp_path / "private"
    storage.mkdir()
    settings.PRIVATE_STORAGE_ROOT = storage
    client = redis.Redis.from_url(private_redis.url)
    yield Broker(private_redis.url, client, start_worker.queue, {"PRIVATE_STORAGE_ROOT": str(storage)})
    client.close()


def finished_events(obj, action) -> int:
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action).count()


def test_a_donor_report_lost_with_the_brokers_queue_is_made_once_after_the_sweep(
    broker, start_worker, make_user, programme, grant_role
):
    from core.errors import TransitionRefused
    from reporting.donor.models import DonorReport
    from reporting.donor.services import donor_report_request, donor_report_retry
    from reporting.donor.tasks import donor_reports_requeue_stale
    from workers.models import Notification

    donor = grant_role(make_user(email="donor@example.org"), programme, "donor")
    report = donor_report_request(
        actor=donor, programme_id=programme.pk, period_start=date(2020, 1, 1), period_end=date(2030, 12, 31)
    )
    assert broker.queued() == 1
    broker.flush()  # Redis replaced or flushed: the task is gone, the row still says "queued"
    assert broker.queued() == 0
    with pytest.raises(TransitionRefused, match="still being generated"):
        donor_report_retry(actor=donor, report_id=report.pk)

    time.sleep(LEASE + 0.5)
    assert donor_reports_requeue_stale.apply().get() == 1
    time.sleep(LEASE + 0.5)
    assert donor_reports_requeue_stale.apply().get() == 1  # a second beat: the task is there twice
    assert broker.queued() == 2

    worker = start_worker(broker.url, env=broker.env)
    report = wait_for(
        lambda: DonorReport.objects.filter(pk=report.pk, state__in=["ready", "failed"]).first(),
        "the report to be generated",
        timeout=60,
        worker=worker,
    )
    assert report.state == "ready", report.error
    wait_for(
        lambda: broker.queued() == 0 and worker.log().count("donor_report_generate[") >= 4, "both tasks", worker=worker
    )
    time.sleep(1)

    report.refresh_from_db()
    assert report.state == "ready" and report.attempts == 1
    assert stored_files("donor_reports") == [f"donor-report-{report.pk}.pdf"]
    assert finished_events(report, "requeue") == 2 and finished_events(report, "finish") == 1
    assert Notification.objects.filter(kind="donor_report_ready", object_id=str(report.pk)).count() == 1


def test_an_export_lost_with_the_brokers_queue_is_made_once_after_the_sweep(
    broker, start_worker, make_user, programme, grant_role
):
    from reporting.data.jobs import export_job_request
    from reporting.data.models import ExportJob
    from reporting.data.tasks import export_jobs_requeue_stale
    from workers.models import Notification

    manager = grant_role(make_user(email="manager@example.org"), programme, "manager")
    job = export_job_request(actor=manager, kind="grants", file_format="xlsx")
    assert broker.queued() == 1
    broker.flush()

    time.sleep(LEASE + 0.5)
    assert export_jobs_requeue_stale.apply().get() == 1
    time.sleep(LEASE + 0.5)
    assert export_jobs_requeue_stale.apply().get() == 1
    assert broker.queued() == 2

    worker = start_worker(broker.url, env=broker.env)
    job = wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, state__in=["ready", "failed"]).first(),
        "the export to be made",
        timeout=60,
        worker=worker,
    )
    assert job.state == "ready", job.error
    wait_for(lambda: broker.queued() == 0 and worker.log().count("export_run[") >= 4, "both tasks", worker=worker)
    time.sleep(1)

    job.refresh_from_db()
    assert job.state == "ready" and job.attempts == 1
    assert stored_files("exports") == [f"export-{job.pk}.xlsx"]
    assert finished_events(job, "export_job_requeue") == 2 and finished_events(job, "export_job_finish") == 1
    assert Notification.objects.filter(kind="export_ready", object_id=str(job.pk)).count() == 1
