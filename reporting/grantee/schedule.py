"""A grant's reporting schedule: an interim report due at the middle of its period and a final report due 60 days after it ends, created once when the grant is signed; managers add or move reports."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from grants.agreements.models import Grant
from reporting.grantee.models import (
    GranteeReport,
    ReportKind,
)
from reporting.grantee.services import report_editable_require, report_lock, report_permission_require

FINAL_REPORT_DAYS = 60


def report_schedule_dates(starts_on: date, ends_on: date) -> list[dict]:
    """Interim at the middle of the period (covering its first half); final within 60 days of
    the end (covering the rest)."""
    middle = starts_on + (ends_on - starts_on) / 2
    return [
        {"kind": ReportKind.INTERIM, "period_start": starts_on, "period_end": middle, "due_on": middle},
        {
            "kind": ReportKind.FINAL,
            "period_start": middle + timedelta(days=1),
            "period_end": ends_on,
            "due_on": ends_on + timedelta(days=FINAL_REPORT_DAYS),
        },
    ]


def grantee_reports_schedule(*, grant_id: int, actor=None) -> list[GranteeReport]:
    """Create the grant's reporting schedule once; later calls return the existing reports."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant_id)
        existing = list(GranteeReport.objects.filter(grant_id=grant_id).order_by("due_on", "pk"))
        if existing:
            return existing
        reports = [
            GranteeReport.objects.create(grant=grant, **dates)
            for dates in report_schedule_dates(grant.starts_on, grant.ends_on)
        ]
        audit_record(
            actor=actor,
            action="grantee_reports_schedule",
            obj=grant,
            data={"reports": [{"id": r.pk, "kind": r.kind, "due_on": r.due_on} for r in reports]},
        )
    return reports


def _dates_check(due_on, period_start, period_end):
    errors = {}
    if due_on is None:
        errors["due_on"] = _("Enter the date the report is due.")
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("The period ends before it starts.")
    if errors:
        raise ValidationError(errors)


def grantee_report_add(
    *, actor, grant_id: int, kind: str, due_on: date, period_start: date | None = None, period_end: date | None = None
) -> GranteeReport:
    if kind not in ReportKind.values:
        raise ValidationError({"kind": _("Choose interim or final.")})
    _dates_check(due_on, period_start, period_end)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call").get(pk=grant_id)
        report_permission_require(actor, "reporting.review_report", grant)
        if kind == ReportKind.FINAL and GranteeReport.objects.filter(grant=grant, kind=ReportKind.FINAL).exists():
            raise ValidationError({"kind": _("This grant already has a final report; move it instead.")})
        report = GranteeReport.objects.create(
            grant=grant, kind=kind, due_on=due_on, period_start=period_start, period_end=period_end
        )
        audit_record(
            actor=actor,
            action="grantee_report_add",
            obj=report,
            data={"grant": grant.number, "kind": kind, "due_on": due_on},
        )
    return report


def grantee_report_move(
    *,
    actor,
    report_id: int,
    due_on: date,
    period_start: date | None = None,
    period_end: date | None = None,
    reason: str = "",
) -> GranteeReport:
    _dates_check(due_on, period_start, period_end)
    with transaction.atomic():
        report = report_lock(report_id)
        report_permission_require(actor, "reporting.review_report", report)
        report_editable_require(report)
        before = {"due_on": report.due_on, "period_start": report.period_start, "period_end": report.period_end}
        report.due_on = due_on
        report.period_start = period_start or report.period_start
        report.period_end = period_end or report.period_end
        report.save(update_fields=["due_on", "period_start", "period_end"])
        audit_record(
            actor=actor,
            action="grantee_report_move",
            obj=report,
            reason=reason,
            data={
                "before": before,
                "after": {
                    "due_on": report.due_on,
                    "period_start": report.period_start,
                    "period_end": report.period_end,
                },
            },
        )
    return report
