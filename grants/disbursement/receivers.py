"""What disbursement does when something it waits on happens in a part before it."""

import logging
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.dispatch import receiver

from accounts.models import User
from grants.disbursement.services import tranche_conditions_check
from reporting.grantee.signals import report_approved

log = logging.getLogger(__name__)


@receiver(report_approved, dispatch_uid="disbursement_tranches_after_report_approval")
def tranches_after_report_approval(
    sender: object, *, grant_id: int, actor: User | AnonymousUser | None, **kwargs: Any
) -> None:
    """An approved report may release the grant's next tranche (the balance, for the final report).
    Runs after the approval committed, so the report's lock is gone before the grant's is taken.
    The check is idempotent; if it fails the approval stands and the grant page's "check
    conditions" (or the next payment) runs it again."""
    try:
        tranche_conditions_check(grant_id=grant_id, actor=actor)
    except Exception:
        log.exception("tranche conditions of grant %s could not be checked after a report approval", grant_id)
