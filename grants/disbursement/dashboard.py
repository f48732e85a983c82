"""Dashboard sections of the money.

- The finance officer's: tranches due, approved and unpaid, overdue, and each programme's
  commitments and disbursements. A constant number of queries, and computed once per audited
  change and minute (`audit.cache`: payments and approvals are audited; a tranche becomes
  overdue with time alone).
- The grantee's: each grant of the user's organisations first, with what matters next — how much
  is paid, the next tranche and what releases it, the next report and when it is due — and the
  one thing to do now (sign, write or correct the report). Three queries whatever the number of
  grants, tranches and reports.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import organisation_roles
from audit.cache import until_next_change
from grants.agreements.models import Grant, GrantState
from grants.disbursement.models import Tranche, TrancheState
from grants.disbursement.selectors import finance_overview, tranches_waiting
from reporting.grantee.models import GranteeReport, GranteeReportState


def finance_section(user: User | AnonymousUser) -> dict[str, Any]:
    minute = timezone.now().strftime("%Y%m%d%H%M")
    return until_next_change(f"finance-section:{user.pk}:{minute}", lambda: _finance_section(user), seconds=60)


def _finance_section(user: User | AnonymousUser) -> dict[str, Any]:
    return {"waiting": tranches_waiting(user, limit=10), "programmes": finance_overview(user)["programmes"]}


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


def grantee_section(user: User | AnonymousUser) -> dict[str, Any] | None:
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
