"""Conversations: the message thread of an application and of its grant, between the
organisation's members and the programme's staff, with screening, decisions, report requests
and payments as events in it (see docs/architecture.md)."""
