"""Reads for grants, tranches, payments and exchange rates: pages, API and exports alike.

Who sees a grant is decided here once (`grant_visibility_q`), the same rule as the
`grants.view_grant` permission: members of the grantee organisation, managers, finance
officers and donors of the grant's programme, admins. Anyone else gets a 404."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import User
from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from accounts.roles import DONOR, FINANCE, MANAGER, programme_ids
from audit.labels import event_label
from audit.models import AuditEvent
from core.languages import columns, main_language
from core.pagination import ListPaginator
from grants.agreements.models import Amendment, Grant, GrantState
from grants.agreements.selectors import ZERO, _available, grant_budget_table, grant_visibility_q
from grants.calls.models import Call, CallState, Programme
from grants.disbursement.models import ExchangeRate, Payment, Tranche, TrancheState
from reporting.grantee.models import Expenditure, GranteeReport, GranteeReportState

OPEN_TRANCHE_STATES = [TrancheState.DUE, TrancheState.APPROVED]

M = TypeVar("M", bound=models.Model)


def tranche_list_visible(user: User | AnonymousUser) -> QuerySet[Tranche]:
    tranches: QuerySet[Tranche] = (
        Tranche.objects.filter(grant_visibility_q(user, "grant__"))
        .select_related("grant", "grant__call", "grant__organisation", "approved_by", "payment")
        .order_by("grant__number", "position", "pk")  # total: the last page is read from the other end
    )
    return tranches


def payment_list_visible(user: User | AnonymousUser) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(grant_visibility_q(user, "grant__"))
        .select_related("grant", "grant__call", "tranche", "recorded_by")
        .order_by("-paid_on", "-id")
    )


def grant_eligible_spent(grant_id: int) -> Decimal:
    """Spending of the grant's approved reports: declared minus what the manager found ineligible."""

    total: Decimal | None = Expenditure.objects.filter(
        report__grant_id=grant_id, report__state=GranteeReportState.APPROVED
    ).aggregate(total=Coalesce(Sum(F("amount_spent") - F("ineligible_amount")), ZERO))["total"]
    return total or Decimal("0")


def grant_detail(grant: Grant) -> dict[str, Any]:
    """Everything the grant page shows, in a fixed number of queries."""

    tranches = list(
        Tranche.objects.filter(grant=grant)
        .select_related("approved_by", "payment", "payment__recorded_by")
        .order_by("position")
    )
    payments = list(
        Payment.objects.filter(grant=grant).select_related("tranche", "recorded_by").order_by("paid_on", "id")
    )
    versions = list(
        Amendment.objects.filter(grant=grant).select_related("proposed_by", "decided_by").order_by("-version")
    )
    history = list(
        AuditEvent.objects.filter(
            Q(object_type="grants.grant", object_id=str(grant.pk))
            | Q(object_type="grants.tranche", object_id__in=[str(t.pk) for t in tranches])
            | Q(object_type="grants.payment", object_id__in=[str(p.pk) for p in payments])
            | Q(object_type="grants.amendment", object_id__in=[str(v.pk) for v in versions])
        ).order_by("-seq")[:100]
    )
    for event in history:
        event.label = event_label(event)  # type: ignore[attr-defined]
    reports = list(GranteeReport.objects.filter(grant=grant).order_by("due_on"))
    today = timezone.localdate()
    for tranche in tranches:
        tranche.is_overdue = (
            tranche.state in OPEN_TRANCHE_STATES and tranche.due_on is not None and tranche.due_on < today
        )
    return {
        "budget": grant_budget_table(grant),
        "tranches": tranches,
        "payments": payments,
        "versions": versions,
        "pending_amendment": next((v for v in versions if v.state == Amendment.State.PROPOSED), None),
        "history": history,
        "reports": reports,
        "remaining": grant.amount_awarded - grant.paid_total,
        "eligible_spent": grant_eligible_spent(grant.pk),
        "due_now": sum((t.due_amount or 0 for t in tranches if t.state in OPEN_TRANCHE_STATES), Decimal("0")),
    }


def exchange_rate_list(*, currency: str = "", limit: int = 240) -> QuerySet[ExchangeRate]:
    qs = ExchangeRate.objects.select_related("recorded_by").order_by("-month", "currency")
    if currency:
        qs = qs.filter(currency=currency)
    return qs[:limit]


def exchange_rates_for_month(month: date, base: str = "EUR") -> dict[str, Decimal]:
    return dict(ExchangeRate.objects.filter(month=month, base=base).values_list("currency", "rate"))


def finance_programme_ids(user: User | AnonymousUser) -> list[int] | None:
    """Programmes whose money the user follows (None: all, for admins)."""
    if user.is_superuser:
        return None
    return sorted(programme_ids(user, FINANCE, MANAGER, DONOR))


def _scoped(qs: QuerySet[M], ids: list[int] | None, field: str) -> QuerySet[M]:
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


TRANCHES_SHOWN = ("due", "approved", "overdue")  # `?tranches=` of the finance overview


def tranches_waiting(
    user: User | AnonymousUser, *, limit: int = 20, page: str | None = None, only: str | None = None
) -> dict[str, Any]:
    """Tranches due (to approve), approved and unpaid (to pay) and overdue, for the programmes
    the user manages or finances: the first `limit`, or with `page` that page of `limit` rows;
    `only` one of TRANCHES_SHOWN lists just those (the counts stay whole).
    Three or four queries whatever the number of tranches."""
    if user.is_superuser:
        ids = None
    else:
        ids = sorted(programme_ids(user, FINANCE, MANAGER))
    today = timezone.localdate()
    base = _scoped(Tranche.objects.all(), ids, "grant__call__programme_id")
    overdue_q = Q(state__in=OPEN_TRANCHE_STATES, due_on__lt=today)
    counts = base.aggregate(
        due=Count("pk", filter=Q(state=TrancheState.DUE)),
        approved=Count("pk", filter=Q(state=TrancheState.APPROVED)),
        overdue=Count("pk", filter=overdue_q),
        due_total=Coalesce(Sum("due_amount", filter=Q(state=TrancheState.DUE)), ZERO),
        approved_total=Coalesce(Sum("due_amount", filter=Q(state=TrancheState.APPROVED)), ZERO),
    )
    shown = {"due": Q(state=TrancheState.DUE), "approved": Q(state=TrancheState.APPROVED), "overdue": overdue_q}
    open_tranches = (
        base.filter(shown.get(only or "", Q(state__in=OPEN_TRANCHE_STATES)))
        .select_related("grant", "grant__organisation", "grant__call", "approved_by")
        .order_by("due_on", "grant__number", "position", "pk")
    )
    paged = ListPaginator(open_tranches, limit).get_page(page) if page is not None else None
    rows = list(paged.object_list if paged is not None else open_tranches[:limit])
    for tranche in rows:
        tranche.is_overdue = tranche.due_on is not None and tranche.due_on < today
    return {
        "counts": counts,
        "rows": rows,
        "more": 0 if paged is not None else max(0, counts["due"] + counts["approved"] - len(rows)),
        "page": paged,
        "today": today,
        "only": only if only in shown else "",
    }


def finance_overview(user: User | AnonymousUser) -> dict[str, Any]:
    """Per programme and call: budget, envelopes, committed (awarded), in agreements, disbursed,
    remaining; by country and currency; payments by paid currency. Five queries whatever the
    number of calls, grants and payments."""
    ids = finance_programme_ids(user)
    programmes = list(
        _scoped(Programme.objects.all(), ids, "pk")
        .order_by("code")
        .values("pk", "code", *columns("title"), "budget", "budget_currency", "envelopes_total")
    )
    calls = list(
        _scoped(Call.objects.exclude(state__in=[CallState.DRAFT, CallState.CANCELLED]), ids, "programme_id")
        .values(
            "pk",
            "programme_id",
            "code",
            *columns("title"),
            "state",
            "envelope",
            "envelope_currency",
            "awarded_total",
        )
        .annotate(
            grant_count=Count("grants"),
            in_agreements=Coalesce(Sum("grants__amount_awarded"), ZERO),
            disbursed=Coalesce(Sum("grants__paid_total"), ZERO),
        )
        .order_by("programme_id", "code")
    )
    by_country = list(
        _scoped(Grant.objects.all(), ids, "call__programme_id")
        .values("call__programme_id", "organisation__country", "currency")
        .annotate(
            grants=Count("pk"),
            committed=Coalesce(Sum("amount_awarded"), ZERO),
            disbursed=Coalesce(Sum("paid_total"), ZERO),
        )
        .order_by("call__programme_id", "organisation__country", "currency")
    )
    by_paid_currency = list(
        _scoped(Payment.objects.all(), ids, "grant__call__programme_id")
        .values("grant__call__programme_id", "currency", "grant__currency")
        .annotate(
            payments=Count("pk"),
            paid=Coalesce(Sum("amount"), ZERO),
            converted=Coalesce(Sum("amount_programme_currency"), ZERO),
        )
        .order_by("grant__call__programme_id", "currency")
    )

    country_names = {code: str(name) for code, name in PROGRAMME_COUNTRY_CHOICES}
    lang = (get_language() or main_language())[:2]
    for row in programmes + calls:  # the title in the reader's language, the main language's otherwise
        row["title"] = row.get(f"title_{lang}") or row[f"title_{main_language()}"]
    by_programme: dict[int, dict[str, Any]] = {
        p["pk"]: {
            **p,
            "calls": [],
            "countries": [],
            "paid_currencies": [],
            "committed": Decimal("0"),
            "in_agreements": Decimal("0"),
            "disbursed": Decimal("0"),
        }
        for p in programmes
    }
    for call in calls:
        programme = by_programme.get(call["programme_id"])
        if programme is None:
            continue
        call["state_label"] = CallState(call["state"]).label
        call["to_disburse"] = call["awarded_total"] - call["disbursed"]
        call["uncommitted"] = call["envelope"] - call["awarded_total"]
        programme["calls"].append(call)
        programme["committed"] += call["awarded_total"]
        programme["in_agreements"] += call["in_agreements"]
        programme["disbursed"] += call["disbursed"]
    for row in by_country:
        programme = by_programme.get(row["call__programme_id"])
        if programme is not None:
            row["country_name"] = country_names.get(row["organisation__country"], row["organisation__country"])
            row["to_disburse"] = row["committed"] - row["disbursed"]
            programme["countries"].append(row)
    for row in by_paid_currency:
        programme = by_programme.get(row["grant__call__programme_id"])
        if programme is not None:
            programme["paid_currencies"].append(row)
    for programme in by_programme.values():
        programme["uncommitted"] = programme["budget"] - programme["committed"]
        programme["to_disburse"] = programme["committed"] - programme["disbursed"]
        programme["unallocated"] = programme["budget"] - programme["envelopes_total"]
        programme["disbursed_pct"] = (
            (programme["disbursed"] * 100 / programme["committed"]).quantize(Decimal("0.1"))
            if programme["committed"]
            else Decimal("0")
        )
    return {"programmes": list(by_programme.values())}


GRANT_TRANSITIONS = {
    "sign": "grants.manage_grant",
    "suspend": "grants.manage_grant",
    "resume": "grants.manage_grant",
    "terminate": "grants.manage_grant",
    "close": "grants.manage_grant",
}


TRANCHE_TRANSITIONS = {
    "approve": "grants.approve_tranche",
    "pay": "grants.pay_tranche",
}  # make_due, cancel: the system's


def grant_available_transitions(grant: Grant, user: User | AnonymousUser) -> list[str]:
    names = _available(grant, user, GRANT_TRANSITIONS)
    if "close" in names:
        # Closing needs the balance settled (paid or cancelled, which only follows the approved
        # final report on an active grant) and no approved tranche left unpaid. Uses the
        # prefetched tranches when the caller prefetched them.
        tranches = list(grant.tranches.all())
        settled = all(
            t.state in (TrancheState.PAID, TrancheState.CANCELLED) for t in tranches if t.condition == "final_report"
        )
        if not settled or any(t.state == TrancheState.APPROVED for t in tranches):
            names.remove("close")
    return names


def tranche_available_transitions(tranche: Tranche, user: User | AnonymousUser) -> list[str]:

    names = _available(tranche, user, TRANCHE_TRANSITIONS)
    grant_state = tranche.grant.state
    if "approve" in names and grant_state != GrantState.ACTIVE:
        names.remove("approve")
    if "pay" in names and (
        tranche.approved_by_id == user.pk or grant_state not in (GrantState.ACTIVE, GrantState.TERMINATED)
    ):
        names.remove("pay")  # four eyes: the approver never pays
    return names


def exchange_rates_used(months: Iterable[date]) -> set[tuple[date | None, str]]:
    """(month, currency) pairs whose rate a recorded payment used: those rates may not change."""
    used = set()
    for month, paid_currency, grant_currency in Payment.objects.filter(rate_month__in=list(months)).values_list(
        "rate_month", "currency", "grant__currency"
    ):
        used.update({(month, paid_currency), (month, grant_currency)})
    return used
