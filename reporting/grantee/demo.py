"""Demo data for this part of the system; called by `manage.py seed_demo`. Must be idempotent.

For every signed grant of the demo programme: its reporting schedule, two logframe indicators,
and for the first one an interim report the grantee has started to fill in (a draft, so the
demo applicant can continue and submit it)."""

from decimal import Decimal

from grants.agreements.models import Grant, GrantState
from grants.calls.models import ProgrammeIndicator
from reporting.grantee.indicators import indicator_add
from reporting.grantee.models import GranteeReportState, Indicator, ReportKind
from reporting.grantee.schedule import grantee_reports_schedule
from reporting.grantee.services import grantee_report_save

INDICATORS = [
    ("Local authorities publishing procurement data", "authorities", Decimal("3"), Decimal("12"), "OC1"),
    ("People trained in open-data monitoring", "people", Decimal("0"), Decimal("150"), "OP1"),
]


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
    manager = ctx["users"].get("manager")
    grants = list(
        Grant.objects.filter(
            call__programme=ctx["programme"], state__in=[GrantState.ACTIVE, GrantState.SUSPENDED, GrantState.CLOSED]
        ).order_by("number")
    )
    for grant in grants:
        grantee_reports_schedule(grant_id=grant.pk, actor=manager)
        if manager is not None and not Indicator.objects.filter(grant=grant).exists():
            links = dict(ProgrammeIndicator.objects.filter(programme=ctx["programme"]).values_list("code", "pk"))
            for name, unit, baseline, target, code in INDICATORS:
                indicator_add(
                    actor=manager,
                    grant_id=grant.pk,
                    name=name,
                    unit=unit,
                    baseline=baseline,
                    target=target,
                    programme_indicator_id=links.get(code),
                )
    if not grants:
        return
    first = grants[0]
    report = first.reports.filter(kind=ReportKind.INTERIM, state=GranteeReportState.SCHEDULED).first()
    member = first.organisation.memberships.select_related("user").order_by("pk").first()
    if report is None or member is None or report.narrative:
        return
    lines = list(first.budget_lines.order_by("position"))
    grantee_report_save(
        actor=member.user,
        report_id=report.pk,
        version=report.version,
        narrative={
            "summary": "Перші шість місяців: моніторинг закупівель у трьох громадах, дві публічні зустрічі.",
            "activities": "Тренінги для журналістів; аналіз 120 тендерів; запити на доступ до інформації.",
        },
        expenditures={
            line.pk: {"amount_spent": (line.amount * Decimal("0.4")).quantize(Decimal("0.01")), "note": ""}
            for line in lines
        },
    )
