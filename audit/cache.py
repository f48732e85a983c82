"""Figures computed once per change.

Every change that moves a dashboard's figures (a submission, a screening, a review, a decision, a
grant, a payment, a report) writes an audit event, and the audit trail's head hash names the whole
history. A figure cached under that hash is therefore exact until the next audited change, and a
page that only reads (a dashboard opened again, by one person or by many) costs a cache read and
one indexed row instead of a scan of every application. Figures that also depend on the time (an
item overdue since a minute ago) add the time to their key, at the precision they need.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from audit.models import AuditHead

T = TypeVar("T")


def audit_head() -> str:
    """The hash of the audit trail's last event ("" before the first)."""
    return AuditHead.objects.values_list("hash", flat=True).first() or ""


def until_next_change(key: str, compute: Callable[[], T], *, seconds: int, fresh: bool = False) -> T:
    """`compute()`, reused until the next audited change (or for at most `seconds`, for what the
    audit trail does not see, such as a row edited in the Django admin). `key` names what is
    computed and for whom (and in which language and at which time, when the result says so).
    `fresh`: the caller knows the data changed without an audit event; compute and keep anew."""
    head = audit_head()
    if not head:  # nothing audited yet: nothing names this state of the data
        return compute()
    full_key = f"hromada:until-change:{key}:{head}"
    value: T | None = None if fresh else cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, seconds)
    return value
