"""Reads for grants, tranches, payments and exchange rates: pages, API and exports alike.

Who sees a grant is decided here once (`grant_visibility_q`), the same rule as the
`grants.view_grant` permission: members of the grantee organisation, managers, finance
officers and donors of the grant's programme, admins. Anyone else gets a 404."""

from decimal import Decimal

from django.db.models import DecimalField, Q, Value

from accounts.models import Membership
from accounts.roles import DONOR, FINANCE, MANAGER, programme_ids
from applications.models import Application, ApplicationState
from grants.agreements.budget import heading_moves
from grants.agreements.models import Amendment, Grant, GrantBudgetLine


def applications_awaiting_agreement(user):
    """Awarded applications of the user's programmes with no grant agreement yet."""
    qs = Application.objects.filter(state=ApplicationState.AWARDED, awarded_amount__isnull=False, grant__isnull=True)
    if not user.is_superuser:
        qs = qs.filter(call__programme_id__in=programme_ids(user, MANAGER))
    return qs.select_related("organisation", "call", "call__programme").order_by("call__code", "reference", "pk")


ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=16, decimal_places=2))


def grant_visibility_q(user, prefix: str = "") -> Q:
    """Q on Grant (or on a model reaching it through `prefix`, e.g. "grant__")."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return Q(**{f"{prefix}organisation_id__in": Membership.objects.filter(user=user).values("organisation_id")}) | Q(
        **{f"{prefix}call__programme_id__in": programme_ids(user, MANAGER, FINANCE, DONOR)}
    )


# The columns the grants list sorts by (`?sort=awarded`, `?sort=-paid`).
GRANT_SORTS = {
    "number": ("number",),
    "title": ("title",),
    "grantee": ("organisation__legal_name",),
    "call": ("call__title", "number"),
    "awarded": ("amount_awarded",),
    "paid": ("paid_total",),
    "state": ("state", "number"),
}


def grant_list_visible(user):
    return (
        Grant.objects.filter(grant_visibility_q(user))
        .select_related("organisation", "call", "call__programme")
        .order_by("-created_at", "number")
    )


def grant_get_visible(user, pk) -> Grant:
    """The grant, or Grant.DoesNotExist when the user may not see it (a 404, never a 403)."""
    return grant_list_visible(user).get(pk=pk)


def amendment_list_visible(user):
    return (
        Amendment.objects.filter(grant_visibility_q(user, "grant__"))
        .select_related("grant", "grant__call", "proposed_by", "decided_by")
        .order_by("grant_id", "version")
    )


def grant_budget_lines(grant):
    return GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk")


def grant_approved_version(grant) -> Amendment | None:
    """The budget as last formally approved: the agreement as signed (version 1) or the last
    approved amendment. Small moves within the flexibility limit are measured against it."""
    return Amendment.objects.filter(grant=grant, state=Amendment.State.APPROVED).order_by("-version").first()


def version_heading_totals(version: Amendment | None) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for line in version.lines if version else []:
        totals[line["heading"]] = totals.get(line["heading"], Decimal("0")) + Decimal(line["amount"])
    return totals


def grant_budget_table(grant, lines=None) -> dict:
    """Lines and per-heading totals, with each heading's move against the approved version."""
    lines = list(lines if lines is not None else grant_budget_lines(grant))
    current: dict[int, Decimal] = {}
    names: dict[int, str] = {}
    for line in lines:
        current[line.heading_id] = current.get(line.heading_id, Decimal("0")) + line.amount
        names[line.heading_id] = str(line.heading)
    version = grant_approved_version(grant)
    approved = version_heading_totals(version) if version else dict(current)
    headings = []
    for move in heading_moves(approved=approved, proposed=current):
        headings.append(
            {
                "heading_id": move.heading,
                "name": names.get(move.heading, move.heading),  # type: ignore[call-overload]
                "approved": move.approved,
                "current": move.proposed,
                "change": move.change,
                "change_pct": move.change_pct,
                "beyond_limit": move.change_pct is None or move.change_pct > grant.call.flexibility_pct,
            }
        )
    return {
        "lines": lines,
        "headings": headings,
        "total": sum((line.amount for line in lines), Decimal("0")),
        "approved_version": version,
    }


AMENDMENT_TRANSITIONS = {"approve": "grants.decide_amendment", "reject": "grants.decide_amendment"}


def _available(obj, user, permissions) -> list[str]:
    names = [t.name for t in obj.get_available_state_transitions()]
    return [name for name in names if name in permissions and user.has_perm(permissions[name], obj)]


def amendment_available_transitions(amendment, user) -> list[str]:
    return _available(amendment, user, AMENDMENT_TRANSITIONS)
