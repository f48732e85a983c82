"""Dashboard section for grantees: each grant of the user's organisations first, with what matters
next — how much is paid, the next tranche and what releases it, the next report and when it is
due — and the one thing to do now (sign, write or correct the report). Three queries whatever the
number of grants, tranches and reports."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import organisation_roles
from grants.agreements.models import Grant, GrantState
from grants.disbursement.models import Tranche, TrancheState
from reporting.grantee.models import GranteeReport, GranteeReportState

SHOWN_STATES = [GrantState.DRAFT, GrantState.ACTIVE, GrantState.SUSPENDED]
OPEN_TRANCHES = [TrancheState.PLANNED, TrancheState.DUE, TrancheState.APPROVED]
OPEN_REPORTS = [GranteeReportState.SCHEDULED, GranteeReportState.CHANGES_REQUESTED]
LIMIT = 10


@dataclass
class GrantAtAGlance:
    grant: Grant
    next_tranche: Tranche | None
    next_report: GranteeReport | None
    action_url: str
    action_text: str


def _action(grant: Grant, report: GranteeReport | None) -> tuple[str, str]:
    if grant.state == GrantState.DRAFT:
        return reverse("grants:grant_detail", args=[grant.pk]), _("Read and sign the agreement")
    if report is not None and report.state == GranteeReportState.CHANGES_REQUESTED:
        return reverse("reports:report_detail", args=[report.pk]), _("Correct the report")
    if report is not None:
        return reverse("reports:report_detail", args=[report.pk]), _("Write the report")
    return reverse("grants:grant_detail", args=[grant.pk]), _("Open the grant")


def grantee_section(user):
    organisations = list(organisation_roles(user))
    if not organisations:
        return None
    grants = list(
        Grant.objects.filter(organisation_id__in=organisations, state__in=SHOWN_STATES)
        .select_related("organisation", "call")
        .prefetch_related(
            Prefetch(
                "tranches",
                queryset=Tranche.objects.filter(state__in=OPEN_TRANCHES).order_by("position"),
                to_attr="open_tranches",
            ),
            Prefetch(
                "reports",
                queryset=GranteeReport.objects.filter(state__in=OPEN_REPORTS).order_by("due_on", "pk"),
                to_attr="open_reports",
            ),
        )
        .order_by("-created_at", "pk")[:LIMIT]
    )
    if not grants:
        return None
    glances = []
    for grant in grants:
        report = grant.open_reports[0] if grant.open_reports else None
        url, text = _action(grant, report)
        tranche = grant.open_tranches[0] if grant.open_tranches else None
        glances.append(GrantAtAGlance(grant, tranche, report, url, text))
    return {"grants": glances}
