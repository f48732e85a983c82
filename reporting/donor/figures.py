"""The numbers of a programme, computed once for both the donor report (PDF) and the donor
dashboard, so the two never disagree: `programme_figures` is the one function behind both.

It runs a fixed number of queries (seven) whatever the number of calls, applications, grants,
payments or reports. The period, when given, selects applications submitted in it, grants
awarded and payments made up to its end (commitments and disbursements are cumulative, against
the budget) and the reports due by its end; `disbursed_in_period` counts the period alone.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from applications.models import Application
from applications.models import ApplicationState as S
from audit.cache import until_next_change
from core.formatting import number_text
from core.money import cents
from grants.agreements.models import Grant
from grants.calls.models import Call, CallState, Contribution, Programme
from grants.disbursement.models import Payment, Tranche
from reporting.grantee.models import GranteeReport
from reporting.grantee.models import GranteeReportState as R

ZERO = Decimal("0")

FUNNEL_STAGES = [
    ("submitted", _("Submitted")),
    ("eligible", _("Eligible")),
    ("reviewed", _("Reviewed")),
    ("awarded", _("Awarded")),
    ("rejected", _("Rejected")),
]
# Which funnel stages an application in each state has passed. "Rejected" counts both the
# ineligible ones (at screening) and those rejected after review.
STATE_STAGES = {
    S.SUBMITTED: ("submitted",),
    S.CLARIFICATION_REQUESTED: ("submitted",),
    S.INELIGIBLE: ("submitted", "rejected"),
    S.ELIGIBLE: ("submitted", "eligible"),
    S.UNDER_REVIEW: ("submitted", "eligible"),
    S.REVIEWED: ("submitted", "eligible", "reviewed"),
    S.RESERVE: ("submitted", "eligible", "reviewed"),
    S.SHORTLISTED: ("submitted", "eligible", "reviewed"),  # a concept note invited to the full stage
    S.AWARDED: ("submitted", "eligible", "reviewed", "awarded"),
    S.REJECTED: ("submitted", "eligible", "reviewed", "rejected"),
    S.WITHDRAWN: ("submitted",),
    S.DRAFT: (),
}
REPORT_STATUSES = [
    ("approved", _("Approved")),
    ("submitted", _("Waiting for review")),
    ("changes_requested", _("Changes requested")),
    ("overdue", _("Overdue")),
    ("upcoming", _("Not yet due")),
]
COUNTRY_NAMES = dict(PROGRAMME_COUNTRY_CHOICES)


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code, code or "—"))


def pct(part, whole) -> Decimal | None:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")) if whole else None


@dataclass
class FunnelRow:
    key: str  # call id or country code
    label: str
    submitted: int = 0
    eligible: int = 0
    reviewed: int = 0
    awarded: int = 0
    rejected: int = 0

    def add(self, state: str, n: int):
        for stage in STATE_STAGES.get(state, ()):  # type: ignore[call-overload]
            setattr(self, stage, getattr(self, stage) + n)

    def stages(self) -> list[int]:
        return [getattr(self, key) for key, _label in FUNNEL_STAGES]

    @property
    def success_rate(self):
        return pct(self.awarded, self.submitted)


@dataclass
class TwoStageRow:
    """A two-stage call's funnel: concept notes → shortlisted → full applications → awarded."""

    label: str
    concept_notes: int = 0
    shortlisted: int = 0
    full_applications: int = 0
    awarded: int = 0


@dataclass
class MoneyRow:
    key: str
    label: str
    envelope: Decimal | None = None
    grants: int = 0
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO
    disbursed_in_period: Decimal = ZERO

    @property
    def disbursed_pct(self):
        return pct(self.disbursed, self.committed)

    @property
    def committed_pct(self):
        return pct(self.committed, self.envelope) if self.envelope else None


@dataclass
class ProgrammeFigures:
    programme: Programme
    period_start: date | None
    period_end: date | None
    currency: str
    budget: Decimal
    donors: list = field(default_factory=list)  # (name, identifier, amount, currency)
    calls: list = field(default_factory=list)  # Call objects
    envelopes: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO
    disbursed_in_period: Decimal = ZERO
    applications: int = 0
    grants: int = 0
    organisations_funded: int = 0
    funnel_total: FunnelRow | None = None
    funnel_by_call: list[FunnelRow] = field(default_factory=list)
    two_stage: list[TwoStageRow] = field(default_factory=list)
    funnel_by_country: list[FunnelRow] = field(default_factory=list)
    money_by_call: list[MoneyRow] = field(default_factory=list)
    money_by_country: list[MoneyRow] = field(default_factory=list)
    report_status: dict = field(default_factory=dict)  # status key -> count
    reports_on_time: int = 0
    reports_late: int = 0
    generated_at: object = None

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed

    @property
    def committed_pct(self):
        return pct(self.committed, self.budget)

    @property
    def disbursed_pct(self):
        return pct(self.disbursed, self.committed)

    @property
    def disbursed_of_budget_pct(self):
        return pct(self.disbursed, self.budget)

    def report_status_rows(self):
        return [(key, label, self.report_status.get(key, 0)) for key, label in REPORT_STATUSES]

    @property
    def reports_total(self) -> int:
        return sum(self.report_status.values())

    def key_figures(self) -> list[tuple[object, str]]:
        """(label, value) pairs shown on the PDF's first page and the dashboard's header."""
        cur = self.currency
        return [
            (_("Budget"), f"{fmt_money(self.budget)} {cur}"),
            (_("Committed (awarded)"), f"{fmt_money(self.committed)} {cur} ({fmt_pct(self.committed_pct)})"),
            (
                _("Disbursed"),
                f"{fmt_money(self.disbursed)} {cur} ({fmt_pct(self.disbursed_pct)} " + str(_("of commitments")) + ")",
            ),
            (_("Remaining to commit"), f"{fmt_money(self.remaining)} {cur}"),
            (_("Calls for proposals"), str(len(self.calls))),
            (_("Applications submitted"), str(self.applications)),
            (_("Grants"), str(self.grants)),
            (_("Organisations funded"), str(self.organisations_funded)),
        ]


def fmt_money(value) -> str:
    """An amount as the reader's language writes it (en `600,000.00`, uk/hy `600 000,00`)."""
    if value is None:
        return "—"
    return number_text(cents(Decimal(value)), 2)


def fmt_pct(value) -> str:
    return "—" if value is None else f"{formats.number_format(value, use_l10n=True)}%"


def programme_figures(
    programme: Programme, period_start: date | None = None, period_end: date | None = None, today: date | None = None
) -> ProgrammeFigures:
    today = today or timezone.localdate()
    figures = ProgrammeFigures(
        programme=programme,
        period_start=period_start,
        period_end=period_end,
        currency=str(programme.budget.currency),
        budget=programme.budget.amount,
        generated_at=timezone.now(),
    )
    # 1. donors
    figures.donors = [
        (c.donor.name, c.donor.identifier, c.amount.amount, c.amount.currency)
        for c in Contribution.objects.filter(programme=programme).select_related("donor").order_by("donor__name")
    ]
    # 2. calls
    calls = list(
        Call.objects.filter(programme=programme)
        .exclude(state__in=[CallState.DRAFT, CallState.CANCELLED])
        .order_by("opens_at", "code")
    )
    figures.calls = calls
    figures.envelopes = sum((c.envelope.amount for c in calls), ZERO)
    by_call_funnel = OrderedDict((c.pk, FunnelRow(key=str(c.pk), label=str(c))) for c in calls)
    by_call_money = OrderedDict(
        (c.pk, MoneyRow(key=str(c.pk), label=str(c), envelope=c.envelope.amount)) for c in calls
    )
    by_country_funnel: dict[str, FunnelRow] = {}
    by_country_money: dict[str, MoneyRow] = {}
    total = FunnelRow(key="total", label=str(_("All calls")))

    # 3. the funnel: one grouped count (two-stage calls: each stage is a call of its own)
    shortlisted: dict[int, int] = {}
    apps = Application.objects.filter(call__programme=programme, submitted_at__isnull=False)
    if period_start:
        apps = apps.filter(submitted_at__date__gte=period_start)
    if period_end:
        apps = apps.filter(submitted_at__date__lte=period_end)
    for call_id, country, state, n in (
        apps.values_list("call_id", "organisation__country", "state").annotate(n=Count("id")).order_by()
    ):
        if call_id not in by_call_funnel:  # a call cancelled after submissions
            continue
        by_call_funnel[call_id].add(state, n)
        by_country_funnel.setdefault(country, FunnelRow(key=country, label=country_name(country))).add(state, n)
        total.add(state, n)
        if state == S.SHORTLISTED:
            shortlisted[call_id] = shortlisted.get(call_id, 0) + n
    figures.funnel_total = total
    figures.two_stage = [
        TwoStageRow(
            label=str(c),
            concept_notes=by_call_funnel[c.concept_call_id].submitted,
            shortlisted=shortlisted.get(c.concept_call_id, 0),
            full_applications=by_call_funnel[c.pk].submitted,
            awarded=by_call_funnel[c.pk].awarded,
        )
        for c in calls
        if c.concept_call_id in by_call_funnel
    ]
    figures.applications = total.submitted

    # 4. commitments: grants awarded by the end of the period
    grants = Grant.objects.filter(call__programme=programme)
    if period_end:
        grants = grants.filter(
            Q(application__decided_at__date__lte=period_end)
            | Q(application__decided_at__isnull=True, created_at__date__lte=period_end)
        )
    for call_id, country, n, awarded in (
        grants.values_list("call_id", "organisation__country")
        .annotate(n=Count("id"), awarded=Sum("amount_awarded"))
        .order_by()
    ):
        row = by_call_money.get(call_id)
        if row is not None:
            row.grants += n
            row.committed += awarded or ZERO
        crow = by_country_money.setdefault(country, MoneyRow(key=country, label=country_name(country)))
        crow.grants += n
        crow.committed += awarded or ZERO
        figures.grants += n
        figures.committed += awarded or ZERO
    figures.organisations_funded = grants.values("organisation_id").distinct().count()

    # 5. disbursements: payments made by the end of the period (and within it)
    payments = Payment.objects.filter(grant__call__programme=programme)
    if period_end:
        payments = payments.filter(paid_on__lte=period_end)
    in_period = Q(paid_on__gte=period_start) if period_start else Q()
    for call_id, country, paid, paid_in_period in (
        payments.values_list("grant__call_id", "grant__organisation__country")
        .annotate(
            paid=Sum("amount_programme_currency"),
            paid_in_period=Sum("amount_programme_currency", filter=in_period)
            if period_start
            else Sum("amount_programme_currency"),
        )
        .order_by()
    ):
        row = by_call_money.get(call_id)
        if row is not None:
            row.disbursed += paid or ZERO
            row.disbursed_in_period += paid_in_period or ZERO
        crow = by_country_money.setdefault(country, MoneyRow(key=country, label=country_name(country)))
        crow.disbursed += paid or ZERO
        crow.disbursed_in_period += paid_in_period or ZERO
        figures.disbursed += paid or ZERO
        figures.disbursed_in_period += paid_in_period or ZERO

    # 6. grantee reports: status, on time and late
    reports = GranteeReport.objects.filter(grant__call__programme=programme)
    if period_end:
        # Due in the period, or handed in by its end (an interim report submitted early counts,
        # as the dashboard counts it).
        reports = reports.filter(Q(due_on__lte=period_end) | Q(submitted_at__date__lte=period_end))
    open_states = [R.SCHEDULED, R.CHANGES_REQUESTED]
    status = reports.aggregate(
        approved=Count("id", filter=Q(state=R.APPROVED)),
        submitted=Count("id", filter=Q(state=R.SUBMITTED)),
        changes_requested=Count("id", filter=Q(state=R.CHANGES_REQUESTED, due_on__gte=today)),
        overdue=Count("id", filter=Q(state__in=open_states, due_on__lt=today)),
        upcoming=Count("id", filter=Q(state=R.SCHEDULED, due_on__gte=today)),
        on_time=Count("id", filter=Q(submitted_at__isnull=False, submitted_at__date__lte=F("due_on"))),
        late=Count("id", filter=Q(submitted_at__isnull=False, submitted_at__date__gt=F("due_on"))),
    )
    figures.reports_on_time, figures.reports_late = status.pop("on_time"), status.pop("late")
    figures.report_status = status

    figures.committed, figures.disbursed = cents(figures.committed or 0), cents(figures.disbursed or 0)
    figures.funnel_by_call = list(by_call_funnel.values())
    figures.funnel_by_country = sorted(by_country_funnel.values(), key=lambda r: r.label)
    figures.money_by_call = list(by_call_money.values())
    figures.money_by_country = sorted(by_country_money.values(), key=lambda r: r.label)
    return figures


def programme_portfolio_rows(programme: Programme, period_end: date | None = None):
    """One row per grant: number, grantee, country, title, awarded, disbursed, currency, state."""
    grants = Grant.objects.filter(call__programme=programme)
    payments = Q(payments__paid_on__lte=period_end) if period_end else Q()
    if period_end:
        grants = grants.filter(
            Q(application__decided_at__date__lte=period_end)
            | Q(application__decided_at__isnull=True, created_at__date__lte=period_end)
        )
    return (
        grants.annotate(disbursed=Sum("payments__amount_programme_currency", filter=payments))
        .order_by("number")
        .values_list(
            "number",
            "organisation__legal_name",
            "organisation__country",
            "title",
            "amount_awarded",
            "disbursed",
            "currency",
            "state",
        )
    )


def programme_tranche_rows(programme: Programme, period_end: date | None = None):
    """One row per tranche: grant number, position, condition, planned, due, state, paid on, paid."""
    tranches = Tranche.objects.filter(grant__call__programme=programme)
    if period_end:
        tranches = tranches.filter(
            Q(grant__application__decided_at__date__lte=period_end)
            | Q(grant__application__decided_at__isnull=True, grant__created_at__date__lte=period_end)
        )
    return tranches.order_by("grant__number", "position").values_list(
        "grant__number",
        "position",
        "condition",
        "planned_amount",
        "due_amount",
        "state",
        "payment__paid_on",
        "payment__amount_programme_currency",
    )


# How long a page's figures may be reused when nothing audited has happened (a change the audit
# trail does not see, such as a contribution edited in the admin, shows within this time).
FIGURES_REUSE_SECONDS = 600


def programme_figures_current(programme: Programme) -> ProgrammeFigures:
    """Today's figures of a programme for a page (the donor dashboard and its charts), computed once
    per change rather than on every request (`audit.cache`): written in the page's language, for
    today. A donor report always computes its own (`programme_figures`)."""
    key = f"programme-figures:{programme.pk}:{translation.get_language()}:{timezone.localdate()}"
    return until_next_change(key, lambda: programme_figures(programme), seconds=FIGURES_REUSE_SECONDS)
