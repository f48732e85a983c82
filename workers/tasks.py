"""Tasks of the workers part. Each one is idempotent (a redelivered task — late acks, a worker
lost — does no harm), takes only JSON arguments and calls a service."""

import logging

from celery import shared_task

from audit.signing import ChainBroken, SigningUnavailable, head_sign
from workers.digest import digest_daily as run
from workers.outbox import outbox_relay_all
from workers.reminders import reminders_sweep as sweep


# The relay sends for at most RELAY_SECONDS, then hands over to a fresh task: far below these limits.
@shared_task(name="workers.tasks.outbox_relay", soft_time_limit=240, time_limit=300)
def outbox_relay() -> int:
    return outbox_relay_all()


@shared_task(name="workers.tasks.reminders_sweep", soft_time_limit=600, time_limit=660)
def reminders_sweep() -> int:
    return sum(sweep().values())


@shared_task(name="workers.tasks.digest_daily", soft_time_limit=600, time_limit=660)
def digest_daily() -> dict:
    return run()


log = logging.getLogger(__name__)


@shared_task(name="workers.tasks.audit_head_sign", soft_time_limit=1800, time_limit=1860)
def audit_head_sign() -> int | None:
    """The day's signed head of the audit chain (verified first); None when no key is configured."""
    try:
        return head_sign().seq
    except SigningUnavailable:
        log.warning("audit head not signed: AUDIT_SIGNING_KEY is not set")
        return None
    except ChainBroken:
        log.error("audit head not signed: the chain does not verify", exc_info=True)
        raise


@shared_task(name="workers.tasks.noop")
def noop() -> None:
    """Does nothing: the benchmark measures the broker and worker round trip with it."""
