"""Leases of background jobs (donor reports, exports): how long a queued or running job may show
no sign of life before it counts as stranded (its task lost with the broker's queue, its worker
killed), and how long a generated file is kept.

A job holds `lease_until`, on the database's clock: set when it is queued, moved on when a worker
starts it and each time it reports progress. A job still queued or running after its lease is
stale: the periodic sweep queues it again, and its page offers a retry. The lease
(HROMADA_JOB_LEASE_SECONDS) is longer than a task's hard time limit, so a live worker never
loses its job to the sweep; were it to happen anyway, the job still ends once (each finish locks
the row and checks the state before it saves the file under its final name and records the event).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.functions import Now


def job_lease() -> timedelta:
    return timedelta(seconds=settings.HROMADA_JOB_LEASE_SECONDS)


def file_retention() -> timedelta:
    return timedelta(days=settings.HROMADA_GENERATED_FILE_RETENTION_DAYS)


def job_stale_q(running: Iterable[str], now: datetime | None = None) -> Q:
    """Jobs in one of the `running` states whose lease has ended (a job from before leases has none)."""
    at = Now() if now is None else now
    return Q(state__in=list(running)) & (Q(lease_until__lt=at) | Q(lease_until__isnull=True))


def job_stale_annotation(running: Iterable[str]) -> ExpressionWrapper:
    """`stale` for a queryset's annotate(): pages, the API and the sweep agree on it."""
    return ExpressionWrapper(job_stale_q(running), output_field=BooleanField())
