"""The donor's dashboard section: the programmes they fund, each with its headline figures (the
full per-programme page shows `reporting.donor.figures.programme_figures`, the numbers of the donor
report). A fixed number of queries whatever the number of programmes and grants."""

from decimal import Decimal

from django.db.models import Count, Sum

from accounts.roles import DONOR
from audit.cache import until_next_change
from grants.agreements.models import Grant
from grants.calls.selectors import programme_list_for
from grants.disbursement.models import Payment
from reporting.donor.figures import pct


def donor_section(user):
    """The dashboard's donor section, computed once per change (`audit.cache`)."""
    return until_next_change(f"donor-section:{user.pk}", lambda: _donor_section(user), seconds=600)


def _donor_section(user):
    programmes = list(programme_list_for(user, DONOR).order_by("-starts_on", "code"))
    ids = [p.pk for p in programmes]
    committed = {
        row["call__programme_id"]: row
        for row in Grant.objects.filter(call__programme_id__in=ids)
        .values("call__programme_id")
        .annotate(grants=Count("id"), committed=Sum("amount_awarded"))
        .order_by()
    }
    paid = dict(
        Payment.objects.filter(grant__call__programme_id__in=ids)
        .values("grant__call__programme_id")
        .annotate(paid=Sum("amount_programme_currency"))
        .values_list("grant__call__programme_id", "paid")
        .order_by()
    )
    rows = []
    for p in programmes:
        c = committed.get(p.pk, {})
        amount = c.get("committed") or Decimal("0")
        disbursed = paid.get(p.pk) or Decimal("0")
        rows.append(
            {
                "programme": p,
                "grants": c.get("grants", 0),
                "committed": amount,
                "disbursed": disbursed,
                "committed_pct": pct(amount, p.budget.amount),
                "disbursed_pct": pct(disbursed, amount),
            }
        )
    return {"programmes": programmes, "rows": rows}
