"""Demo data for this part of the system; called by `manage.py seed_demo`. Must be idempotent.

Writes what the schedule would have written by now: the reminders due and the managers' daily
summary, so the demo logins find them on their notifications page. Both are unique per
object, person and day, so a second run adds nothing."""

from workers.digest import manager_digest_write
from workers.reminders import reminders_sweep


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
    now = ctx.get("now")
    reminders_sweep(now, kick=False)
    manager_digest_write(now)
