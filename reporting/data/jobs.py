"""Big exports run in the background: the request queues a job, a worker writes the file into
private storage, the person who asked is notified and downloads it (only they may)."""

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reporting.data.exports import export_check, export_render
from reporting.data.models import ExportJob
from reporting.data.tables import EXPORTS
from workers.celery import enqueue
from workers.messenger import notify_user

log = logging.getLogger(__name__)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


BACKGROUND_ROWS = 5000


def exports_root() -> Path:
    root = Path(settings.PRIVATE_STORAGE_ROOT) / "exports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def export_job_request(
    *, actor, kind: str, file_format: str, filters: dict | None = None, rows_total: int = 0
) -> ExportJob:
    export_check(kind, file_format, filters)
    from reporting.data.tasks import export_run_task  # the task module imports this one

    job = ExportJob.objects.create(
        user=actor,
        kind=kind,
        file_format=file_format,
        params={k: str(v) for k, v in (filters or {}).items() if v not in (None, "")},
        rows_total=rows_total,
    )

    def start():
        if not enqueue(export_run_task, job.pk):
            ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.QUEUED).update(
                state=ExportJob.State.FAILED,
                error=_("The task queue could not be reached. Try again in a moment."),
                finished_at=timezone.now(),
            )

    transaction.on_commit(start)
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the file of a queued export job (idempotent: a finished job is left as it is)."""
    claimed = ExportJob.objects.filter(pk=job_id, state__in=[ExportJob.State.QUEUED, ExportJob.State.RUNNING]).update(
        state=ExportJob.State.RUNNING, rows_done=0, error=""
    )
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if not claimed:
        return job
    final = f"export-{job.pk}-{uuid.uuid4().hex}.{job.file_format}"
    target = exports_root() / final
    tmp = target.with_name(f".{final}.part")
    try:
        with translation.override(job.user.language):
            data = export_render(
                job.user,
                job.kind,
                job.file_format,
                job.params,
                progress=lambda n: ExportJob.objects.filter(pk=job.pk).update(rows_done=n),
            )
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        tmp.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000], finished_at=timezone.now()
        )
        return ExportJob.objects.get(pk=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.READY, stored_name=final, finished_at=timezone.now(), rows_done=job.rows_total
    )

    with transaction.atomic():
        notify_user(
            kind="export_ready",
            user=job.user,
            obj=job,
            key="ready",
            context={"export": str(EXPORTS[job.kind].label), "path": f"/reporting/exports/jobs/{job.pk}/"},
        )
    return ExportJob.objects.get(pk=job.pk)


def export_job_file(user, job_id) -> tuple[ExportJob, Path]:
    """A READY job of this user and its file; ExportJob.DoesNotExist otherwise (answer 404)."""
    job = ExportJob.objects.get(pk=job_id, user=user, state=ExportJob.State.READY)
    path = exports_root() / os.path.basename(job.stored_name)
    if not job.stored_name or not path.exists():
        raise ExportJob.DoesNotExist
    return job, path
