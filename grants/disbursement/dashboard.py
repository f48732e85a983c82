"""The finance officer's dashboard section: tranches due, approved and unpaid, overdue, and
each programme's commitments and disbursements. A constant number of queries."""

from typing import Any

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from grants.disbursement.selectors import finance_overview, tranches_waiting


def finance_section(user: User | AnonymousUser) -> dict[str, Any]:
    return {"waiting": tranches_waiting(user, limit=10), "programmes": finance_overview(user)["programmes"]}
