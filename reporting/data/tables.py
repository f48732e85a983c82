"""What each export holds: the rows the user may see (one query, no query per row) and its
columns, with names, bank details and blind-review identities shown only to those who may."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.roles import DONOR, FINANCE, MANAGER, organisation_roles, programme_ids
from applications.models import Application, ApplicationState
from applications.review.models import Review
from applications.visibility import CLEARED_REVIEW_STATES, application_visibility_q
from core.formatting import zone_city
from grants.agreements.models import Grant, GrantState
from grants.agreements.selectors import grant_visibility_q
from grants.calls.models import TrancheCondition
from grants.disbursement.models import Tranche, TrancheState
from reporting.grantee.models import GranteeReport, GranteeReportState, ReportKind
from reporting.grantee.selectors import report_visibility_q


@dataclass(frozen=True)
class ExportKind:
    label: object
    queryset: Callable  # (user, filters) -> queryset of tuples
    headers: Callable  # () -> list of column titles (translated now)
    row: Callable  # (user context, tuple) -> list of cells


class Viewer:
    """What the rows need to know about the user, read once (no query per row)."""

    def __init__(self, user):
        self.user = user
        self.admin = user.is_superuser
        self.orgs = frozenset(organisation_roles(user))
        self.managed = programme_ids(user, MANAGER)
        self.finance = programme_ids(user, FINANCE)
        self.funded = programme_ids(user, DONOR)

    def sees_identity(self, programme_id, organisation_id, blind) -> bool:
        return not blind or self.admin or programme_id in self.managed or organisation_id in self.orgs

    def sees_bank(self, programme_id, organisation_id) -> bool:
        return (
            self.admin or programme_id in self.managed or programme_id in self.finance or organisation_id in self.orgs
        )


def _timed(label) -> str:
    """A time column's title names the zone its times are in: "Submitted at (Kyiv)"."""
    return f"{label} ({zone_city()})"


def _label(choices):
    labels = dict(choices)
    return lambda value: str(labels.get(value, value or ""))


APP_STATE, GRANT_STATE, TRANCHE_STATE = (
    _label(ApplicationState.choices),
    _label(GrantState.choices),
    _label(TrancheState.choices),
)
CONDITION, REPORT_STATE, REPORT_KIND = (
    _label(TrancheCondition.choices),
    _label(GranteeReportState.choices),
    _label(ReportKind.choices),
)


def _filter(qs, filters, programme_path, call_path):
    if filters.get("programme"):
        qs = qs.filter(**{programme_path: int(filters["programme"])})
    if filters.get("call"):
        qs = qs.filter(**{call_path: int(filters["call"])})
    return qs


# --- applications ---------------------------------------------------------------------------


def _applications(user, filters):
    qs = Application.objects.filter(application_visibility_q(user)).exclude(state=ApplicationState.DRAFT)
    qs = _filter(qs, filters, "call__programme_id", "call_id")
    return qs.order_by("call__code", "reference", "pk").values_list(
        "reference",
        "call__code",
        "call__programme_id",
        "call__blind_review",
        "organisation_id",
        "organisation__legal_name",
        "organisation__registration_id",
        "organisation__country",
        "title",
        "state",
        "requested_amount",
        "cofinancing_amount",
        "duration_months",
        "awarded_amount",
        "call__envelope_currency",
        "submitted_at",
        "decided_at",
    )


def _application_headers():
    return [
        _("Reference"),
        _("Call"),
        _("Organisation"),
        _("Organisation identifier"),
        _("Country"),
        _("Project title"),
        _("State"),
        _("Amount requested"),
        _("Co-financing"),
        _("Duration (months)"),
        _("Amount awarded"),
        _("Currency"),
        _timed(_("Submitted at")),
        _timed(_("Decided at")),
    ]


def _application_row(viewer, r):
    (
        reference,
        call,
        programme_id,
        blind,
        org_id,
        org,
        reg,
        country,
        title,
        state,
        requested,
        cofin,
        months,
        awarded,
        currency,
        submitted,
        decided,
    ) = r
    identity = viewer.sees_identity(programme_id, org_id, blind)
    return [
        reference,
        call,
        org if identity else _("(blind review)"),
        reg if identity else "",
        country if identity else "",
        title,
        APP_STATE(state),
        requested,
        cofin,
        months,
        awarded,
        currency,
        submitted,
        decided,
    ]


# --- reviews and scores -----------------------------------------------------------------------


def _reviews(user, filters):
    qs = Review.objects.all()
    if not user.is_superuser:
        # A reviewer exports only their own reviews of applications they may see (declared no
        # conflict): an assigned-but-undeclared or conflicted one must not even learn the reference.
        qs = qs.filter(
            Q(application__call__programme_id__in=list(programme_ids(user, MANAGER)))
            | Q(reviewer=user, state__in=CLEARED_REVIEW_STATES)
        )
    qs = _filter(qs, filters, "application__call__programme_id", "application__call_id")
    return qs.order_by(
        "application__reference", "application_id", "reviewer__email", "scores__criterion__position"
    ).values_list(
        "application__reference",
        "application__call__code",
        "application__call__programme_id",
        "application__call__blind_review",
        "application__organisation_id",
        "application__organisation__legal_name",
        "reviewer__email",
        "state",
        "recommendation",
        "weighted_total",
        "submitted_at",
        "scores__criterion__position",
        "scores__criterion__name",
        "scores__score",
        "scores__comment",
    )


def _review_headers():
    return [
        _("Application"),
        _("Call"),
        _("Organisation"),
        _("Reviewer"),
        _("State"),
        _("Recommendation"),
        _("Weighted total"),
        _timed(_("Submitted at")),
        _("Criterion"),
        _("Score"),
        _("Comment"),
    ]


def _review_row(viewer, r):
    (
        reference,
        call,
        programme_id,
        blind,
        org_id,
        org,
        reviewer,
        state,
        recommendation,
        total,
        submitted,
        position,
        criterion,
        score,
        comment,
    ) = r
    identity = viewer.sees_identity(programme_id, org_id, blind)
    return [
        reference,
        call,
        org if identity else _("(blind review)"),
        reviewer,
        str(state),
        recommendation,
        total,
        submitted,
        f"{position}. {criterion}" if position else "",
        score,
        comment,
    ]


# --- grants ---------------------------------------------------------------------------------------


def _grants(user, filters):
    qs = _filter(Grant.objects.filter(grant_visibility_q(user)), filters, "call__programme_id", "call_id")
    return qs.order_by("number").values_list(
        "number",
        "call__code",
        "organisation__legal_name",
        "organisation__registration_id",
        "organisation__country",
        "title",
        "amount_awarded",
        "paid_total",
        "currency",
        "starts_on",
        "ends_on",
        "signed_at",
        "state",
    )


def _grant_headers():
    return [
        _("Grant"),
        _("Call"),
        _("Grantee"),
        _("Grantee identifier"),
        _("Country"),
        _("Title"),
        _("Amount awarded"),
        _("Paid"),
        _("Remaining"),
        _("Currency"),
        _("Starts on"),
        _("Ends on"),
        _timed(_("Signed at")),
        _("State"),
    ]


def _grant_row(viewer, r):
    number, call, org, reg, country, title, awarded, paid, currency, starts, ends, signed, state = r
    return [
        number,
        call,
        org,
        reg,
        country,
        title,
        awarded,
        paid,
        awarded - paid,
        currency,
        starts,
        ends,
        signed,
        GRANT_STATE(state),
    ]


# --- tranches and payments ------------------------------------------------------------------------


def _tranches(user, filters):
    qs = Tranche.objects.filter(grant_visibility_q(user, prefix="grant__"))
    qs = _filter(qs, filters, "grant__call__programme_id", "grant__call_id")
    return qs.order_by("grant__number", "position").values_list(
        "grant__number",
        "grant__call__programme_id",
        "grant__organisation_id",
        "grant__organisation__legal_name",
        "position",
        "condition",
        "share_pct",
        "planned_amount",
        "due_amount",
        "due_on",
        "state",
        "approved_at",
        "grant__currency",
        "payment__paid_on",
        "payment__amount",
        "payment__currency",
        "payment__exchange_rate",
        "payment__amount_programme_currency",
        "payment__bank_reference",
    )


def _tranche_headers():
    return [
        _("Grant"),
        _("Grantee"),
        _("Tranche"),
        _("Release condition"),
        _("Share (%)"),
        _("Planned amount"),
        _("Amount due"),
        _("Due on"),
        _("State"),
        _timed(_("Approved at")),
        _("Grant currency"),
        _("Paid on"),
        _("Amount paid"),
        _("Paid currency"),
        _("Exchange rate"),
        _("Paid in grant currency"),
        _("Bank reference"),
    ]


def _tranche_row(viewer, r):
    (
        number,
        programme_id,
        org_id,
        org,
        position,
        condition,
        share,
        planned,
        due,
        due_on,
        state,
        approved,
        currency,
        paid_on,
        paid,
        paid_currency,
        rate,
        converted,
        bank,
    ) = r
    return [
        number,
        org,
        position,
        CONDITION(condition),
        share,
        planned,
        due,
        due_on,
        TRANCHE_STATE(state),
        approved,
        currency,
        paid_on,
        paid,
        paid_currency,
        rate if paid_on else None,
        converted,
        bank if viewer.sees_bank(programme_id, org_id) else "",
    ]


# --- grantee reports ---------------------------------------------------------------------------------


def _reports(user, filters):
    qs = GranteeReport.objects.filter(report_visibility_q(user))
    qs = _filter(qs, filters, "grant__call__programme_id", "grant__call_id")
    return (
        qs.annotate(spent=Sum("expenditures__amount_spent"), ineligible=Sum("expenditures__ineligible_amount"))
        .order_by("grant__number", "due_on", "pk")
        .values_list(
            "grant__number",
            "grant__organisation__legal_name",
            "kind",
            "period_start",
            "period_end",
            "due_on",
            "state",
            "submitted_at",
            "decided_at",
            "spent",
            "ineligible",
            "grant__currency",
        )
    )


def _report_headers():
    return [
        _("Grant"),
        _("Grantee"),
        _("Report"),
        _("Period from"),
        _("Period to"),
        _("Due on"),
        _("State"),
        _timed(_("Submitted at")),
        _("Timeliness"),
        _timed(_("Decided at")),
        _("Spent"),
        pgettext("costs", "Ineligible"),
        _("Currency"),
    ]


def _report_row(viewer, r):
    number, org, kind, start, end, due, state, submitted, decided, spent, ineligible, currency = r
    if submitted:
        timeliness = _("on time") if timezone.localdate(submitted) <= due else _("late")
    else:
        timeliness = _("overdue") if due < timezone.localdate() else ""
    return [
        number,
        org,
        REPORT_KIND(kind),
        start,
        end,
        due,
        REPORT_STATE(state),
        submitted,
        timeliness,
        decided,
        spent,
        ineligible,
        currency,
    ]


EXPORTS = {
    "applications": ExportKind(gettext_lazy("Applications"), _applications, _application_headers, _application_row),
    "reviews": ExportKind(gettext_lazy("Reviews and scores"), _reviews, _review_headers, _review_row),
    "grants": ExportKind(gettext_lazy("Grants"), _grants, _grant_headers, _grant_row),
    "tranches": ExportKind(gettext_lazy("Tranches and payments"), _tranches, _tranche_headers, _tranche_row),
    "reports": ExportKind(gettext_lazy("Grantee reports"), _reports, _report_headers, _report_row),
}
