"""A worker SIGKILLed while it writes a donor report PDF: nothing half-written is ever served,
and the report is generated once when the task comes back — either to a restarted worker (the
whole worker died: Redis hands the unacknowledged task out again after the visibility timeout)
or at once to a fresh pool process (only the process running the task died: the worker rejects
the task back to the queue, task_reject_on_worker_lost)."""

import importlib.util
import os
import signal
import time
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import stored_files
from tests.integration.conftest import BASE_DIR, mail_messages, wait_for

pytestmark = pytest.mark.integration

# The visibility timeout of this test's broker: long enough for the report to be generated
# (well under it), short enough for the test to wait for a lost task to come back.
VISIBILITY_TIMEOUT = 12


def bench_builder():
    spec = importlib.util.spec_from_file_location("bench_donor_report", BASE_DIR / "bench" / "donor_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


@pytest.fixture
def private_storage(tmp_path, settings):
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_STORAGE_ROOT = root
    return root


def pool_children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize("killed", ["whole worker", "pool process"])
def test_a_worker_killed_while_writing_a_donor_report(killed, private_redis, start_worker, private_storage, client):
    from reporting.donor.models import DonorReport
    from reporting.donor.services import donor_report_file, donor_report_request
    from workers.models import Notification

    programme, requester, *_ = bench_builder()(4000, 2000)
    env = {"PRIVATE_STORAGE_ROOT": str(private_storage), "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    pool = "solo" if killed == "whole worker" else "prefork"
    worker = start_worker(private_redis.url, pool=pool, concurrency=1, env=env)
    client.force_login(requester)

    report = donor_report_request(
        actor=requester, programme_id=programme.pk, period_start=date(2020, 5, 1), period_end=date(2030, 8, 30)
    )
    delivered_at = time.monotonic()

    def writing():  # the PDF is being written (to the worker's own temporary file) and is not done
        state, progress = DonorReport.objects.filter(pk=report.pk).values_list("state", "progress").first()
        return state == "generating" and 0 < progress < 100

    wait_for(writing, "the worker to start writing the PDF", timeout=60, worker=worker)
    if killed == "whole worker":
        worker.kill()
    else:
        [child] = pool_children(worker.process.pid)
        os.kill(child, signal.SIGKILL)

    # Mid-write: the half-written file is never served.
    report.refresh_from_db()
    assert report.state == "generating" and report.attempts == 1
    assert stored_files("donor_reports") == []  # the killed writer left nothing in the storage
    with pytest.raises(DonorReport.DoesNotExist):
        donor_report_file(requester, report.pk)
    assert client.get(f"/reporting/donor-reports/{report.pk}/download/").status_code == 404

    if killed == "whole worker":
        # A worker starting after the visibility timeout takes the lost task back from Redis.
        time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - delivered_at)))
        worker = start_worker(private_redis.url, env=env)

    def finished():
        return DonorReport.objects.filter(pk=report.pk, state__in=["ready", "failed"]).first()

    report = wait_for(finished, "the report to be generated again", timeout=90, worker=worker)
    assert report.state == "ready", report.error
    assert report.attempts == 2  # the interrupted attempt and the one that finished

    response = client.get(f"/reporting/donor-reports/{report.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    from io import BytesIO

    from pypdf import PdfReader

    assert len(PdfReader(BytesIO(content)).pages) == report.pages
    assert stored_files("donor_reports") == [f"donor-report-{report.pk}.pdf"]

    # Generated once: one "ready" transition, one e-mail, and no further run afterwards.
    time.sleep(2)
    from audit.models import AuditEvent

    assert (
        AuditEvent.objects.filter(
            action="finish", object_type="reporting.donorreport", object_id=str(report.pk)
        ).count()
        == 1
    )
    assert Notification.objects.filter(kind="donor_report_ready", object_id=str(report.pk)).count() == 1
    wait_for(
        lambda: Notification.objects.filter(kind="donor_report_ready", sent_at__isnull=False).exists(),
        "the ready e-mail",
        worker=worker,
    )
    assert [m["To"] for m in mail_messages(start_worker.mail_dir)] == [requester.email]
    report.refresh_from_db()
    assert report.attempts == 2 and report.state == "ready"
