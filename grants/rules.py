"""Registers the permissions of every part of the grants app (django-rules imports `<app>.rules`):
programmes and calls, then grant agreements with their tranches and payments."""

from grants.agreements import rules as agreements_rules  # noqa: F401
from grants.calls import rules as calls_rules  # noqa: F401
