"""Reads for grantee reports: who sees which report, the financial part of a report, and what
the grants workflow needs to know from reports (spending, whether a grant may close).

Programme-wide figures (donor report, donor dashboard) live in `reporting.donor.figures`.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.roles import FINANCE, MANAGER, organisation_roles, programme_ids
from core.money import cents
from grants.agreements.models import Grant, GrantBudgetLine
from grants.agreements.selectors import grant_list_visible  # one rule: who may see a grant
from grants.calls.form.layout import form_load
from reporting.grantee.models import (
    Expenditure,
    GranteeReport,
    GranteeReportState,
    Indicator,
    IndicatorValue,
    ReportKind,
)

CENT = Decimal("0.01")
ZERO = Decimal("0")

# Narrative sections of a report, in order; the final report replaces "next steps" by
# "sustainability". (key, label, required)
NARRATIVE_SECTIONS = {
    ReportKind.INTERIM: [
        ("summary", _("Summary of progress"), True),
        ("activities", _("Activities carried out"), True),
        ("results", _("Results achieved so far"), True),
        ("challenges", _("Challenges and how they were addressed"), False),
        ("next_steps", _("Plans for the next period"), False),
    ],
    ReportKind.FINAL: [
        ("summary", _("Summary of the action"), True),
        ("activities", _("Activities carried out"), True),
        ("results", _("Results and impact"), True),
        ("challenges", _("Challenges and how they were addressed"), False),
        ("sustainability", _("Sustainability and lessons learned"), True),
    ],
}
NARRATIVE_MAX_CHARS = 10000
EDITABLE_STATES = [GranteeReportState.SCHEDULED, GranteeReportState.CHANGES_REQUESTED]
OPEN_STATES = EDITABLE_STATES  # not yet submitted (again)


# --- visibility ------------------------------------------------------------------------------


def report_visibility_q(user) -> Q:
    """Reports are read by the grantee, the programme's managers and finance officers (donors see
    only their status, through the programme figures)."""
    if user.is_superuser:
        return Q()
    return Q(grant__organisation_id__in=list(organisation_roles(user))) | Q(
        grant__call__programme_id__in=list(programme_ids(user, MANAGER, FINANCE))
    )


def report_list_visible(user):
    if not getattr(user, "is_authenticated", False):
        return GranteeReport.objects.none()
    return GranteeReport.objects.filter(report_visibility_q(user)).select_related(
        "grant", "grant__call", "grant__call__programme", "grant__organisation"
    )


def report_get_visible(user, pk) -> GranteeReport:
    """The report, or GranteeReport.DoesNotExist when the user may not see it (answer 404)."""
    return report_list_visible(user).get(pk=pk)


def grant_get_visible(user, pk) -> Grant:
    return grant_list_visible(user).select_related("call", "call__programme", "organisation", "application").get(pk=pk)


# --- the financial part of a report ----------------------------------------------------------


@dataclass
class LineFigures:
    budget_line_id: int
    heading_id: int
    heading: str
    description: str
    budget: Decimal
    previous: Decimal = ZERO  # declared in earlier reports
    spent: Decimal = ZERO  # declared in this report
    ineligible: Decimal = ZERO  # refused by the manager in this report
    note: str = ""
    expenditure_id: int | None = None

    @property
    def cumulative(self) -> Decimal:
        return self.previous + self.spent

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.cumulative

    @property
    def used_pct(self) -> Decimal | None:
        return (self.cumulative * 100 / self.budget).quantize(Decimal("0.1")) if self.budget else None


@dataclass
class HeadingFigures:
    heading_id: int
    name: str
    budget: Decimal = ZERO
    cumulative: Decimal = ZERO
    eligible_cumulative: Decimal = ZERO
    flag: str = ""  # why it is flagged, empty when within the limit

    @property
    def change_pct(self) -> Decimal | None:
        if not self.budget:
            return None
        return ((self.cumulative - self.budget) * 100 / self.budget).quantize(Decimal("0.1"))


@dataclass
class ReportFinancials:
    lines: list[LineFigures]
    headings: list[HeadingFigures]
    flexibility_pct: Decimal
    budget_total: Decimal = ZERO
    spent_total: Decimal = ZERO  # this report
    ineligible_total: Decimal = ZERO  # this report
    cumulative_total: Decimal = ZERO
    flags: list[str] = field(default_factory=list)

    @property
    def eligible_total(self) -> Decimal:
        return self.spent_total - self.ineligible_total


def _earlier(report: GranteeReport, other: GranteeReport) -> bool:
    return (other.due_on, other.pk) < (report.due_on, report.pk)


def report_financials(report: GranteeReport) -> ReportFinancials:
    """Expenditure per approved budget line with the variance against the budget, and the
    headings that moved beyond the call's flexibility limit. Three queries, whatever the size.

    Each report declares what was spent in its own period; the cumulative figure adds the
    earlier reports. A heading is flagged when its cumulative spending is above its budget by
    more than the limit (money moved into it) and, in the final report, also when it is below
    by more than the limit (money moved out of it).
    """
    grant = report.grant
    flexibility = grant.call.flexibility_pct
    budget_lines = list(
        GrantBudgetLine.objects.filter(grant_id=grant.pk).select_related("heading").order_by("position", "pk")
    )
    lines = OrderedDict(
        (
            bl.pk,
            LineFigures(
                budget_line_id=bl.pk,
                heading_id=bl.heading_id,
                heading=str(bl.heading),
                description=bl.description,
                budget=bl.amount,
            ),
        )
        for bl in budget_lines
    )
    reports = {r.pk: r for r in GranteeReport.objects.filter(grant_id=grant.pk).only("pk", "due_on")}
    for exp in Expenditure.objects.filter(report__grant_id=grant.pk).order_by():
        line = lines.get(exp.budget_line_id)
        if line is None:
            continue
        if exp.report_id == report.pk:
            line.spent, line.ineligible, line.note, line.expenditure_id = (
                exp.amount_spent,
                exp.ineligible_amount,
                exp.note,
                exp.pk,
            )
        elif exp.report_id in reports and _earlier(report, reports[exp.report_id]):
            line.previous += exp.amount_spent - exp.ineligible_amount
    headings: OrderedDict[int, HeadingFigures] = OrderedDict()
    for line in lines.values():
        h = headings.setdefault(line.heading_id, HeadingFigures(heading_id=line.heading_id, name=line.heading))
        h.budget += line.budget
        h.cumulative += line.cumulative
        h.eligible_cumulative += line.cumulative - line.ineligible
    result = ReportFinancials(lines=list(lines.values()), headings=list(headings.values()), flexibility_pct=flexibility)
    for h in result.headings:
        limit = h.budget * flexibility / 100
        if h.cumulative - h.budget > limit:
            h.flag = str(
                _(
                    "%(heading)s is %(pct)s%% above its budget, beyond the %(limit)s%% flexibility: an amendment is needed."
                )
                % {"heading": h.name, "pct": h.change_pct, "limit": flexibility}
            )
        elif report.kind == ReportKind.FINAL and h.budget - h.cumulative > limit:
            h.flag = str(
                _("%(heading)s is %(pct)s%% below its budget, beyond the %(limit)s%% flexibility.")
                % {"heading": h.name, "pct": abs(h.change_pct), "limit": flexibility}  # type: ignore[arg-type]
            )
        if h.flag:
            result.flags.append(h.flag)
    result.budget_total = sum((ln.budget for ln in result.lines), ZERO)
    result.spent_total = sum((ln.spent for ln in result.lines), ZERO)
    result.ineligible_total = sum((ln.ineligible for ln in result.lines), ZERO)
    result.cumulative_total = sum((ln.cumulative for ln in result.lines), ZERO)
    return result


GENDERS = (("women", _("women")), ("men", _("men")))


def report_indicators(report: GranteeReport) -> list[dict]:
    """The grant's logframe indicators with this report's actual values (two queries)."""
    values = {v.indicator_id: v for v in IndicatorValue.objects.filter(report_id=report.pk)}
    rows = []
    indicators = Indicator.objects.filter(grant_id=report.grant_id).select_related("programme_indicator")
    for ind in indicators.order_by("position", "pk"):
        value = values.get(ind.pk)
        linked = ind.programme_indicator
        rows.append(
            {
                "indicator": ind,
                "actual": value.actual if value else None,
                "comment": value.comment if value else "",
                # Reported by gender as well when the programme indicator is disaggregated so.
                "genders": GENDERS if linked is not None and "gender" in (linked.disaggregation or []) else (),
                "breakdown": (value.breakdown if value else None) or {},
                "parts": [
                    (label, (value.breakdown or {}).get(key))
                    for key, label in GENDERS
                    if value and key in (value.breakdown or {})
                ],
            }
        )
    return rows


def report_typed_form(report: GranteeReport):
    """The report form built for the grant's call (grants.calls.form, purpose = the report's kind),
    or None when the call has none and the fixed narrative sections below are asked instead."""
    form = form_load(report.grant.call_id, report.kind)
    return form if form.answerable else None


def report_answer_rows(report: GranteeReport) -> list[tuple]:
    """(question, answer as text) of a typed report form, for the pages and the PDF."""
    form = report_typed_form(report)
    return form.answer_rows(report.narrative) if form else []


def report_narrative_sections(report: GranteeReport) -> list[dict]:
    if report_typed_form(report) is not None:
        return []
    return [
        {"key": key, "label": label, "required": required, "text": (report.narrative or {}).get(key, "")}
        for key, label, required in NARRATIVE_SECTIONS[report.kind]  # type: ignore[index]
    ]


# --- what the grants workflow reads ----------------------------------------------------------


def grant_spending(grant_id: int) -> dict[str, Decimal]:
    """Spending declared in the grant's approved reports: declared, ineligible and eligible."""
    totals = Expenditure.objects.filter(report__grant_id=grant_id, report__state=GranteeReportState.APPROVED).aggregate(
        declared=Sum("amount_spent"), ineligible=Sum("ineligible_amount")
    )
    declared, ineligible = cents(totals["declared"] or 0), cents(totals["ineligible"] or 0)
    return {"declared": declared, "ineligible": ineligible, "eligible": declared - ineligible}


def grant_report_approved(grant_id: int, kind: str) -> bool:
    return GranteeReport.objects.filter(grant_id=grant_id, kind=kind, state=GranteeReportState.APPROVED).exists()


def grant_close_problems(grant_id: int) -> list[str]:
    """Why a grant cannot close yet, as far as reporting is concerned: the final report must be
    approved and no other report may wait for the grantee or the manager."""
    problems = []
    reports = list(GranteeReport.objects.filter(grant_id=grant_id).values_list("kind", "state"))
    if not any(kind == ReportKind.FINAL and state == GranteeReportState.APPROVED for kind, state in reports):
        problems.append(str(_("The final report is not approved yet.")))
    if any(state != GranteeReportState.APPROVED for kind, state in reports if kind != ReportKind.FINAL):
        problems.append(str(_("A report of this grant is not approved yet.")))
    return problems
