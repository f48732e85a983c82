"""Sign-in that cannot be turned against users.

allauth counts failed sign-ins in the shared cache (settings.ACCOUNT_RATE_LIMITS["login_failed"]):
per client address, and per account. This module decides what "per account" means and writes
failures and throttles to the security log (logger ``hromada.security``) and the audit trail.

An account a stranger must never lock out (staff, programme managers, finance officers, and
anyone who has a second factor) is counted per account *and* client address: failures from an
attacker's address slow that address down and nobody else. Other accounts are counted per
account: after a few failures from anywhere, a short cool-off (minutes, not hours) slows a
distributed guesser down.
"""

import hashlib
import logging

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction

from accounts.models import ProgrammeRole
from accounts.roles import FINANCE, MANAGER
from audit.services import audit_record

security_log = logging.getLogger("hromada.security")

# One "throttled" audit event per account or address per this many seconds: a spray of a
# thousand refused attempts is one event, not a thousand.
THROTTLE_EVENT_EVERY = 300


def login_of(credentials: dict) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


def account_is_protected(user) -> bool:
    """Staff, money roles and second-factor holders are never lockable by strangers."""
    if user is None:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if ProgrammeRole.objects.filter(user=user, role__in=[MANAGER, FINANCE]).exists():
        return True
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def account_of(login: str):
    if not login:
        return None
    return get_user_model().objects.filter(email__iexact=login).first()


def failure_record(*, address: str, login: str) -> None:
    """A wrong password (or unknown account): the security log always; the audit trail when the
    account exists, so its owner and the site administrator can see who tried."""
    user = account_of(login)
    security_log.warning("sign-in failed", extra={"address": address, "login_sha256": _digest(login)})
    if user is not None:
        with transaction.atomic():
            audit_record(actor=None, action="login_failed", obj=user, data={"address": address})


def throttle_record(*, address: str, login: str) -> None:
    """An attempt refused by the rate limits (its password was never checked)."""
    security_log.warning("sign-in throttled", extra={"address": address, "login_sha256": _digest(login)})
    user = account_of(login)
    # Per address and account; attempts on accounts that do not exist share one event per address.
    if not cache.add(f"hromada:signin-throttled:{address}:{user.pk if user else '-'}", 1, THROTTLE_EVENT_EVERY):
        return
    with transaction.atomic():
        audit_record(
            actor=None,
            action="login_throttled",
            obj=user,
            object_type="" if user else "sign-in",
            object_id="" if user else address,
            data={"address": address},
        )


def _digest(login: str) -> str:
    # The log keeps no e-mail address of someone who may not even have an account.
    return hashlib.sha256(login.encode()).hexdigest()[:16]
