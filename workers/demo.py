"""Demo data for this part of the system; called by `manage.py seed_demo`. Must be idempotent."""


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
