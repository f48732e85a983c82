"""Donor reports: request → queued → (Celery task) generating, with progress → ready | failed;
a failed one says why and can be retried.

The PDF is written to a local temporary file (anonymous: a killed worker leaves nothing behind)
and saved into the private storage (core.storage: a shared folder or S3) under its final name
only by the attempt that finishes the report, under the row's lock after checking its state: a
report generated twice (a redelivered task, a stranded report queued again) ends with one file
and one "finish" event. The download view serves a file only once READY, so a half-written
report is never served.

A report whose lease ends while it is queued or generating (its task lost with the broker's
queue, its worker killed) is stale: the periodic sweep queues it again, and the person may
retry it from its page (workers/leases.py). Files are removed after the retention period; the
rows stay as history.
"""

import logging
import os
import tempfile
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import DONOR, MANAGER, programme_ids
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.clock import database_now, moment_text
from core.errors import TransitionRefused
from core.shortcuts import get_permitted_or_403
from core.storage import file_delete, file_delete_on_commit, file_save, files_remove_older
from grants.calls.models import Programme
from reporting.donor.figures import programme_figures, programme_portfolio_rows, programme_tranche_rows
from reporting.donor.models import DonorReport, DonorReportState
from reporting.donor.pdf.report import donor_report_build
from reporting.grantee.results import programme_results
from workers.celery import enqueue
from workers.leases import file_retention, job_lease, job_stale_annotation, job_stale_q
from workers.messenger import notify_user

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


DONOR_REPORTS = "donor_reports"


def donor_report_path_for(file_name: str) -> str:
    return f"{DONOR_REPORTS}/{os.path.basename(file_name)}"


def donor_report_path(report: DonorReport) -> str | None:
    """The report's name in the private storage (core.storage), None before it has a file."""
    return donor_report_path_for(report.stored_name) if report.stored_name else None


def _path(report_id) -> str:
    return f"/reporting/donor-reports/{report_id}/"


def _period_label(report) -> str:
    return f"{report.period_start:%Y-%m-%d} – {report.period_end:%Y-%m-%d}"


RUNNING = (DonorReportState.QUEUED, DonorReportState.GENERATING)


def _enqueue(report_id: int, *, fail_unreachable: bool = True) -> bool:
    from reporting.donor.tasks import donor_report_generate_task  # the task module imports this one

    if enqueue(donor_report_generate_task, report_id):
        return True
    if fail_unreachable:  # the person is told now; the sweep leaves it queued for its next round
        donor_report_fail(report_id=report_id, error=_("The task queue could not be reached. Try again in a moment."))
    return False


def donor_report_request(
    *, actor, programme_id: int, period_start: date, period_end: date, language: str = "en"
) -> DonorReport:
    programme = get_permitted_or_403(actor, Programme, programme_id, "reporting.request_donor_report")
    errors = {}
    if period_start is None:
        errors["period_start"] = _("Enter the first day of the period.")
    if period_end is None:
        errors["period_end"] = _("Enter the last day of the period.")
    elif period_start and period_end < period_start:
        errors["period_end"] = _("The period ends before it starts.")
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose a language.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = DonorReport.objects.create(
            programme=programme,
            period_start=period_start,
            period_end=period_end,
            language=language,
            requested_by=actor,
            lease_until=database_now() + job_lease(),
        )
        audit_record(
            actor=actor,
            action="donor_report_request",
            obj=report,
            data={
                "programme": programme.code,
                "period_start": period_start,
                "period_end": period_end,
                "language": language,
            },
        )
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def _requeue(report: DonorReport, now, *, actor) -> None:
    """Queue a locked, stale report again (its task is gone or its worker died)."""
    report.progress = 0
    report.lease_until = now + job_lease()
    transition(report, "requeue", actor=actor, reason="stale", data={"attempts": report.attempts})


def donor_report_retry(*, actor, report_id: int) -> DonorReport:
    """Queue again a failed report, or one that has shown no sign of life for its lease;
    TransitionRefused while it is still within its lease (or ready)."""
    with transaction.atomic():
        now = database_now()
        report = lock(DonorReport, report_id)
        if report.state == DonorReportState.FAILED:
            check(actor, report, "retry", permission="reporting.request_donor_report")
            report.error = ""
            report.progress = 0
            report.lease_until = now + job_lease()
            transition(report, "retry", actor=actor)
        else:
            check(actor, report, "requeue", permission="reporting.request_donor_report")
            if report.lease_until is not None and report.lease_until >= now:
                raise TransitionRefused(
                    _("The report is still being generated. If nothing changes, you can retry it after %(time)s.")
                    % {"time": moment_text(report.lease_until)}
                )
            _requeue(report, now, actor=actor)
    transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def donor_reports_requeue_stale() -> int:
    """The periodic sweep: queue again every report whose lease ended while it was queued or
    generating (after the broker lost its queue, a worker died…); one that keeps being
    interrupted fails instead. Returns how many were queued."""
    now = database_now()
    queued = 0
    for pk in DonorReport.objects.filter(job_stale_q(RUNNING, now)).order_by("pk").values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            report = lock(DonorReport, pk)
            if not DonorReport.objects.filter(job_stale_q(RUNNING, now), pk=pk).exists():
                continue  # a worker took it meanwhile
            give_up = report.attempts >= MAX_ATTEMPTS
            if not give_up:
                _requeue(report, now, actor=None)
        if give_up:
            donor_report_fail(
                report_id=pk,
                error=ngettext(
                    "Generation was interrupted %(n)s time.", "Generation was interrupted %(n)s times.", MAX_ATTEMPTS
                )
                % {"n": MAX_ATTEMPTS},
            )
        elif _enqueue(pk, fail_unreachable=False):
            queued += 1
    return queued


def donor_report_files_expire() -> int:
    """Remove the files of reports made more than the retention period ago; the rows stay and
    their pages say the file was removed. Returns how many files were removed."""
    now = database_now()
    old = DonorReport.objects.filter(
        state=DonorReportState.READY, file_removed_at__isnull=True, finished_at__lt=now - file_retention()
    ).exclude(stored_name="")
    removed = 0
    for pk in old.order_by("pk").values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            report = lock(DonorReport, pk)
            if report.file_removed_at is not None:
                continue
            path = donor_report_path(report)
            report.file_removed_at = now
            report.save(update_fields=["file_removed_at"])
            audit_record(
                actor=None,
                action="donor_report_file_remove",
                obj=report,
                data={"file": report.stored_name, "retention_days": file_retention().days},
            )
            if path is not None:
                file_delete_on_commit(path)
        removed += 1
    # Temporary files of workers killed mid-write, left in the folder before files went through
    # the storage API (today's temporary files are local and anonymous).
    files_remove_older(DONOR_REPORTS, max(job_lease(), timedelta(days=1)), suffixes=(".part",))
    return removed


def donor_report_fail(*, report_id: int, error: str) -> DonorReport | None:
    """Record why generation failed and tell the person who asked; None if it is no longer running."""
    try:
        with transaction.atomic():
            report = lock(DonorReport, report_id)
            check(None, report, "fail")
            report.error = error[:4000]
            report.lease_until = None
            report.finished_at = timezone.now()
            event = transition(report, "fail", actor=None, reason=error[:500])
            notify_user(
                kind="donor_report_failed",
                user=report.requested_by,
                obj=report,
                key=str(event.seq),
                context={"programme": str(report.programme), "period": _period_label(report), "path": _path(report.pk)},
            )
    except TransitionRefused:
        return None
    return report


def _progress_set(report_id: int, pct: int) -> None:
    # Not a state change: a plain update, committed at once so the page can show it.
    # Each sign of progress moves the lease on: a long report that advances is never stale.
    DonorReport.objects.filter(pk=report_id, state=DonorReportState.GENERATING).update(
        progress=pct, lease_until=Now() + job_lease()
    )


def donor_report_generate(*, report_id: int, builder=None) -> DonorReport:
    """Generate the PDF of a queued report. Idempotent: a ready or failed report is left as it
    is; a report left GENERATING by a worker that died is generated again from the start."""
    report = DonorReport.objects.select_related("programme", "requested_by").get(pk=report_id)
    if report.state not in (DonorReportState.QUEUED, DonorReportState.GENERATING):
        return report
    if report.state == DonorReportState.GENERATING and report.attempts >= MAX_ATTEMPTS:
        donor_report_fail(
            report_id=report_id,
            error=ngettext(
                "Generation was interrupted %(n)s time.", "Generation was interrupted %(n)s times.", report.attempts
            )
            % {"n": report.attempts},
        )
        return DonorReport.objects.get(pk=report_id)

    try:
        with transaction.atomic():
            now = database_now()
            started = lock(DonorReport, report_id)
            check(None, started, "start")
            started.lease_until = now + job_lease()
            started.started_at = timezone.now()
            started.attempts += 1
            started.progress = 0
            started.error = ""
            transition(started, "start", actor=None)
    except TransitionRefused:
        return DonorReport.objects.get(pk=report_id)
    report.refresh_from_db()
    final_name = f"donor-report-{report.pk}.pdf"
    tmp = tempfile.TemporaryFile()  # local and unlinked at once: nothing is left if the worker dies
    try:
        with translation.override(report.language):
            programme = report.programme
            figures = programme_figures(programme, report.period_start, report.period_end)
            title = _("Donor report: %(programme)s") % {"programme": str(programme)}
            subtitle = _("Period %(start)s – %(end)s") % {
                "start": formats.date_format(report.period_start, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(report.period_end, "SHORT_DATE_FORMAT"),
            }
            build = builder or donor_report_build
            pages = build(
                tmp,
                figures,
                programme_portfolio_rows(programme, report.period_end).iterator(chunk_size=2000),
                programme_tranche_rows(programme, report.period_end).iterator(chunk_size=2000),
                title=title,
                subtitle=subtitle,
                requested_by=str(report.requested_by),
                progress=lambda pct: _progress_set(report.pk, pct),
                results=programme_results(programme),
            )
    except Exception as exc:  # the error is kept on the report; the user may retry
        log.exception("donor report %s failed", report_id)
        tmp.close()
        donor_report_fail(report_id=report_id, error=f"{type(exc).__name__}: {exc}")
        return DonorReport.objects.get(pk=report_id)

    stored = ""
    try:
        with tmp, transaction.atomic():
            report = lock(DonorReport, report_id)
            check(None, report, "finish")
            # Under the lock, by the one attempt that finishes the report (a file left under the
            # final name by an attempt that died after saving it is replaced).
            stored = file_save(donor_report_path_for(final_name), tmp, replace=True)
            report.stored_name = os.path.basename(stored)
            report.lease_until = None
            report.pages = pages
            report.progress = 100
            report.finished_at = timezone.now()
            event = transition(report, "finish", actor=None, data={"pages": pages, "file": report.stored_name})
            notify_user(
                kind="donor_report_ready",
                user=report.requested_by,
                obj=report,
                key=str(event.seq),
                context={"programme": str(programme), "period": _period_label(report), "path": _path(report.pk)},
            )
    except TransitionRefused:  # another attempt finished it (or it was queued again): its file stands
        return DonorReport.objects.get(pk=report_id)
    except BaseException:
        file_delete(stored)  # the report is not ready: no row refers to the file
        raise
    return report


def donor_report_list_for(user, programme_id: int | None = None) -> QuerySet[DonorReport]:
    """The reports `user` may see, each with `stale` (queued or generating past its lease)."""
    qs = DonorReport.objects.select_related("programme", "requested_by").annotate(stale=job_stale_annotation(RUNNING))
    if not user.is_superuser:
        qs = qs.filter(programme_id__in=list(programme_ids(user, DONOR, MANAGER)))
    if programme_id is not None:
        qs = qs.filter(programme_id=programme_id)
    return qs.order_by("-requested_at")


def donor_report_get_visible(user, pk) -> DonorReport:
    return donor_report_list_for(user).get(pk=pk)


def donor_report_file(user, pk) -> str:
    """The storage name of a READY report's file for a user allowed to read it; DoesNotExist otherwise."""
    report = donor_report_get_visible(user, pk)
    ready = report.state == DonorReportState.READY and report.file_removed_at is None
    path = donor_report_path(report) if ready else None
    if path is None:
        raise DonorReport.DoesNotExist
    return path
