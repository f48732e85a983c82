"""Donor reports: request → queued → (Celery task) generating, with progress → ready | failed;
a failed one says why and can be retried.

The PDF is written to a temporary file beside its final place and moved there with os.replace
(atomic on one file system); the state becomes READY only after the move, and the download view
serves a file only in that state, so a half-written report is never served.
"""

import logging
import os
import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import DONOR, MANAGER, programme_ids
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.shortcuts import get_permitted_or_403
from grants.calls.models import Programme
from reporting.donor.figures import programme_figures, programme_portfolio_rows, programme_tranche_rows
from reporting.donor.models import DonorReport, DonorReportState
from reporting.donor.pdf.report import donor_report_build
from workers.celery import enqueue
from workers.messenger import notify_user

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def donor_reports_root() -> Path:
    root = Path(settings.PRIVATE_STORAGE_ROOT) / "donor_reports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def donor_report_path(report: DonorReport) -> Path | None:
    if not report.stored_name:
        return None
    return donor_reports_root() / os.path.basename(report.stored_name)


def _path(report_id) -> str:
    return f"/reporting/donor-reports/{report_id}/"


def _period_label(report) -> str:
    return f"{report.period_start:%Y-%m-%d} – {report.period_end:%Y-%m-%d}"


def _enqueue(report_id: int) -> None:
    from reporting.donor.tasks import donor_report_generate_task  # the task module imports this one

    if not enqueue(donor_report_generate_task, report_id):
        donor_report_fail(report_id=report_id, error=_("The task queue could not be reached. Try again in a moment."))


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
            programme=programme, period_start=period_start, period_end=period_end, language=language, requested_by=actor
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


def donor_report_retry(*, actor, report_id: int) -> DonorReport:
    with transaction.atomic():
        report = lock(DonorReport, report_id)
        check(actor, report, "retry", permission="reporting.request_donor_report")
        report.error = ""
        report.progress = 0
        transition(report, "retry", actor=actor)
    transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def donor_report_fail(*, report_id: int, error: str) -> DonorReport | None:
    """Record why generation failed and tell the person who asked; None if it is no longer running."""
    try:
        with transaction.atomic():
            report = lock(DonorReport, report_id)
            check(None, report, "fail")
            report.error = error[:4000]
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
    DonorReport.objects.filter(pk=report_id, state=DonorReportState.GENERATING).update(progress=pct)


def donor_report_generate(*, report_id: int, builder=None) -> DonorReport:
    """Generate the PDF of a queued report. Idempotent: a ready or failed report is left as it
    is; a report left GENERATING by a worker that died is generated again from the start."""
    report = DonorReport.objects.select_related("programme", "requested_by").get(pk=report_id)
    if report.state not in (DonorReportState.QUEUED, DonorReportState.GENERATING):
        return report
    if report.state == DonorReportState.GENERATING and report.attempts >= MAX_ATTEMPTS:
        donor_report_fail(
            report_id=report_id, error=_("Generation was interrupted %(n)s times.") % {"n": report.attempts}
        )
        return DonorReport.objects.get(pk=report_id)

    try:
        with transaction.atomic():
            started = lock(DonorReport, report_id)
            check(None, started, "start")
            started.started_at = timezone.now()
            started.attempts += 1
            started.progress = 0
            started.error = ""
            transition(started, "start", actor=None)
    except TransitionRefused:
        return DonorReport.objects.get(pk=report_id)
    report.refresh_from_db()
    final_name = f"donor-report-{report.pk}.pdf"
    target = donor_reports_root() / final_name
    for stale in target.parent.glob(f".{final_name}.*.part"):  # left by a worker killed mid-write
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{final_name}.{uuid.uuid4().hex}.part")
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
            with open(tmp, "wb") as out:
                pages = build(
                    out,
                    figures,
                    programme_portfolio_rows(programme, report.period_end).iterator(chunk_size=2000),
                    programme_tranche_rows(programme, report.period_end).iterator(chunk_size=2000),
                    title=title,
                    subtitle=subtitle,
                    requested_by=str(report.requested_by),
                    progress=lambda pct: _progress_set(report.pk, pct),
                )
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, target)
    except Exception as exc:  # the error is kept on the report; the user may retry
        log.exception("donor report %s failed", report_id)
        tmp.unlink(missing_ok=True)
        donor_report_fail(report_id=report_id, error=f"{type(exc).__name__}: {exc}")
        return DonorReport.objects.get(pk=report_id)

    try:
        with transaction.atomic():
            report = lock(DonorReport, report_id)
            check(None, report, "finish")
            report.stored_name = final_name
            report.pages = pages
            report.progress = 100
            report.finished_at = timezone.now()
            event = transition(report, "finish", actor=None, data={"pages": pages, "file": final_name})
            notify_user(
                kind="donor_report_ready",
                user=report.requested_by,
                obj=report,
                key=str(event.seq),
                context={"programme": str(programme), "period": _period_label(report), "path": _path(report.pk)},
            )
    except TransitionRefused:  # another worker finished it first: same file, same content
        return DonorReport.objects.get(pk=report_id)
    return report


def donor_report_list_for(user, programme_id: int | None = None):
    qs = DonorReport.objects.select_related("programme", "requested_by")
    if not user.is_superuser:
        qs = qs.filter(programme_id__in=list(programme_ids(user, DONOR, MANAGER)))
    if programme_id is not None:
        qs = qs.filter(programme_id=programme_id)
    return qs.order_by("-requested_at")


def donor_report_get_visible(user, pk) -> DonorReport:
    return donor_report_list_for(user).get(pk=pk)


def donor_report_file(user, pk) -> Path:
    """The path of a READY report's file for a user allowed to read it; DoesNotExist otherwise."""
    report = donor_report_get_visible(user, pk)
    path = donor_report_path(report) if report.state == DonorReportState.READY else None
    if path is None or not path.exists():
        raise DonorReport.DoesNotExist
    return path
