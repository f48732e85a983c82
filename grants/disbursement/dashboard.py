"""The finance officer's dashboard section: tranches due, approved and unpaid, overdue, and
each programme's commitments and disbursements. A constant number of queries, and computed once
per audited change and minute (`audit.cache`: payments and approvals are audited; a tranche
becomes overdue with time alone)."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from audit.cache import until_next_change
from grants.disbursement.selectors import finance_overview, tranches_waiting


def finance_section(user: User | AnonymousUser) -> dict[str, Any]:
    minute = timezone.now().strftime("%Y%m%d%H%M")
    return until_next_change(f"finance-section:{user.pk}:{minute}", lambda: _finance_section(user), seconds=60)


def _finance_section(user: User | AnonymousUser) -> dict[str, Any]:
    return {"waiting": tranches_waiting(user, limit=10), "programmes": finance_overview(user)["programmes"]}
