"""Big exports run in the background: the request queues a job, a worker writes the file into
private storage, the person who asked is notified and downloads it (only they may).

The file has one name per job; the attempt that finishes the job saves it into the private storage
(core.storage: a shared folder or S3) under the row's lock after checking the job is still
running, so a job run twice (a redelivered task, a
stranded job queued again) ends with one file, one "ready" event and one e-mail. A job whose
lease ends while it is queued or running is stale: the periodic sweep queues it again and its
page offers a retry (workers/leases.py). Files are removed after the retention period; the rows
stay as history."""

import logging
import os
import tempfile
from datetime import timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import audit_record
from core.clock import database_now, moment_text
from core.errors import TransitionRefused
from core.storage import file_delete, file_delete_on_commit, file_save, files_remove_older
from reporting.data.exports import export_check, export_write
from reporting.data.models import ExportJob
from reporting.data.tables import EXPORTS
from workers.celery import enqueue
from workers.leases import file_retention, job_lease, job_stale_annotation, job_stale_q
from workers.messenger import notify_user

log = logging.getLogger(__name__)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

MAX_ATTEMPTS = 5
RUNNING = (ExportJob.State.QUEUED, ExportJob.State.RUNNING)


EXPORTS_FOLDER = "exports"


def export_path(file_name: str) -> str:
    """The export's name in the private storage (core.storage)."""
    return f"{EXPORTS_FOLDER}/{os.path.basename(file_name)}"


def _enqueue(job_id: int, *, fail_unreachable: bool = True) -> bool:
    from reporting.data.tasks import export_run_task  # the task module imports this one

    if enqueue(export_run_task, job_id):
        return True
    if fail_unreachable:  # the person is told now; the sweep leaves it queued for its next round
        ExportJob.objects.filter(pk=job_id, state=ExportJob.State.QUEUED).update(
            state=ExportJob.State.FAILED,
            error=_("The task queue could not be reached. Try again in a moment."),
            finished_at=timezone.now(),
            lease_until=None,
        )
    return False


def export_job_request(
    *, actor, kind: str, file_format: str, filters: dict | None = None, rows_total: int = 0
) -> ExportJob:
    export_check(kind, file_format, filters)
    job = ExportJob.objects.create(
        user=actor,
        kind=kind,
        file_format=file_format,
        params={k: str(v) for k, v in (filters or {}).items() if v not in (None, "")},
        rows_total=rows_total,
        lease_until=database_now() + job_lease(),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _progress(job_id: int, rows: int) -> None:
    # Each sign of progress moves the lease on: a long export that advances is never stale.
    ExportJob.objects.filter(pk=job_id, state=ExportJob.State.RUNNING).update(
        rows_done=rows, lease_until=Now() + job_lease()
    )


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the file of a queued export job (idempotent: a finished job is left as it is)."""
    claimed = ExportJob.objects.filter(pk=job_id, state__in=RUNNING).update(
        state=ExportJob.State.RUNNING,
        rows_done=0,
        error="",
        lease_until=Now() + job_lease(),
        attempts=F("attempts") + 1,
    )
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if not claimed:
        return job
    final = f"export-{job.pk}.{job.file_format}"
    # Row by row into a local temporary file (a write-only workbook for XLSX): constant memory; it
    # reaches the shared storage only when the job finishes, so a killed worker leaves nothing there.
    with tempfile.TemporaryFile() as out:
        try:
            with translation.override(job.user.language):
                written = export_write(
                    out, job.user, job.kind, job.file_format, job.params, progress=lambda n: _progress(job.pk, n)
                )
        except Exception as exc:
            log.exception("export job %s failed", job_id)
            ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(
                state=ExportJob.State.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:4000],
                finished_at=timezone.now(),
                lease_until=None,
            )
            return ExportJob.objects.get(pk=job.pk)
        out.seek(0)
        stored = ""
        try:
            with transaction.atomic():
                done = ExportJob.objects.select_for_update().get(pk=job.pk)
                if done.state != ExportJob.State.RUNNING:  # another attempt finished it (or it was queued again)
                    return done
                # Under the lock, by the one attempt that finishes the job (a file left under the final
                # name by an attempt that died after saving it is replaced).
                stored = file_save(export_path(final), out, replace=True)
                done.state = ExportJob.State.READY
                done.stored_name = os.path.basename(stored)
                done.finished_at = timezone.now()
                # what the file holds: rows may have come or gone since the count of the request
                done.rows_done = done.rows_total = written
                done.lease_until = None
                done.save(
                    update_fields=["state", "stored_name", "finished_at", "rows_done", "rows_total", "lease_until"]
                )
                audit_record(
                    actor=None,
                    action="export_job_finish",
                    obj=done,
                    from_state=ExportJob.State.RUNNING,
                    to_state=ExportJob.State.READY,
                    data={"file": done.stored_name, "kind": job.kind, "rows": written},
                )
                notify_user(
                    kind="export_ready",
                    user=job.user,
                    obj=done,
                    key="ready",
                    context={"export": str(EXPORTS[job.kind].label), "path": f"/reporting/exports/jobs/{job.pk}/"},
                )
        except BaseException:
            file_delete(stored)  # the job is not ready: no row refers to the file
            raise
    return done


def _requeue(job: ExportJob, now, *, actor) -> None:
    """Queue a locked job again: failed, or stale (its task is gone or its worker died)."""
    from_state = job.state
    job.state = ExportJob.State.QUEUED
    job.rows_done = 0
    job.error = ""
    job.lease_until = now + job_lease()
    job.save(update_fields=["state", "rows_done", "error", "lease_until"])
    audit_record(
        actor=actor,
        action="export_job_requeue",
        obj=job,
        from_state=from_state,
        to_state=job.state,
        data={"attempts": job.attempts},
    )


def export_job_retry(*, actor, job_id: int) -> ExportJob:
    """The person's retry of their failed job, or of one that has shown no sign of life for its
    lease; TransitionRefused while it is within its lease (or ready). DoesNotExist for another's job."""
    with transaction.atomic():
        now = database_now()
        job = ExportJob.objects.select_for_update().get(pk=job_id, user=actor)
        if job.state == ExportJob.State.READY:
            raise TransitionRefused(_("This export is ready: download it."))
        if job.state != ExportJob.State.FAILED and job.lease_until is not None and job.lease_until >= now:
            raise TransitionRefused(
                _("The export is still being prepared. If nothing changes, you can retry it after %(time)s.")
                % {"time": moment_text(job.lease_until)}
            )
        _requeue(job, now, actor=actor)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def export_jobs_requeue_stale() -> int:
    """The periodic sweep: queue again every job whose lease ended while it was queued or running;
    one that keeps being interrupted fails instead. Returns how many were queued."""
    now = database_now()
    queued = 0
    for pk in ExportJob.objects.filter(job_stale_q(RUNNING, now)).order_by("pk").values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=pk)
            if not ExportJob.objects.filter(job_stale_q(RUNNING, now), pk=pk).exists():
                continue  # a worker took it meanwhile
            if job.attempts >= MAX_ATTEMPTS:
                job.state = ExportJob.State.FAILED
                job.error = ngettext(
                    "The export was interrupted %(n)s time.", "The export was interrupted %(n)s times.", job.attempts
                ) % {"n": job.attempts}
                job.finished_at = timezone.now()
                job.lease_until = None
                job.save(update_fields=["state", "error", "finished_at", "lease_until"])
                continue
            _requeue(job, now, actor=None)
        if _enqueue(pk, fail_unreachable=False):
            queued += 1
    return queued


def export_files_expire() -> int:
    """Remove the files of exports made more than the retention period ago; the rows stay and
    their pages say the file was removed. Returns how many files were removed."""
    now = database_now()
    old = ExportJob.objects.filter(
        state=ExportJob.State.READY, file_removed_at__isnull=True, finished_at__lt=now - file_retention()
    ).exclude(stored_name="")
    removed = 0
    for pk in old.order_by("pk").values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=pk)
            if job.file_removed_at is not None:
                continue
            path = export_path(job.stored_name)
            job.file_removed_at = now
            job.save(update_fields=["file_removed_at"])
            audit_record(
                actor=None,
                action="export_job_file_remove",
                obj=job,
                data={"file": job.stored_name, "retention_days": file_retention().days},
            )
            file_delete_on_commit(path)
        removed += 1
    # Temporary files of workers killed mid-write, left in the folder before files went through
    # the storage API (today's are never written into the storage).
    files_remove_older(EXPORTS_FOLDER, max(job_lease(), timedelta(days=1)), suffixes=(".part",))
    return removed


def export_jobs_for(user) -> QuerySet[ExportJob]:
    """`user`'s own export jobs, each with `stale` (queued or running past its lease)."""
    return ExportJob.objects.filter(user=user).annotate(stale=job_stale_annotation(RUNNING))


def export_job_file(user, job_id) -> tuple[ExportJob, str]:
    """A READY job of this user and its storage name; ExportJob.DoesNotExist otherwise (answer 404)."""
    job = ExportJob.objects.get(pk=job_id, user=user, state=ExportJob.State.READY, file_removed_at__isnull=True)
    if not job.stored_name:
        raise ExportJob.DoesNotExist
    return job, export_path(job.stored_name)
