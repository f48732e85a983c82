"""The database's clock: the one time every process agrees on.

A web or worker process whose own clock is off (a container without NTP, a laptop that slept)
must not open or close a call, fire a reminder or take an outbox row early. Deadlines and
schedules are therefore compared with the database's time, read here (or written into a query
as `Now()`), never with `timezone.now()` of the process that happens to run the code.
"""

from datetime import datetime

from django.db import DEFAULT_DB_ALIAS
from django.db.models.functions import Now
from django.db.models.sql import Query

from core import formatting


def database_now(using: str = DEFAULT_DB_ALIAS) -> datetime:
    """The database's current time (aware, UTC): PostgreSQL's statement_timestamp(), SQLite's
    clock of the machine it runs on. One query, no table: `SELECT <Now()>`, in the SQL Django
    writes for the database's vendor, with its converters (so SQLite's text is a datetime too)."""
    query = Query(None)
    query.add_annotation(Now(), "now")
    [row] = query.get_compiler(using=using).results_iter()
    now: datetime = row[0]
    return now


def moment_text(moment: datetime) -> str:
    """A moment as a message says it: in the current time zone, the active language's format and
    the zone's city ("4 Dec 2026, 17:00 (Kyiv)"; `core.formatting.moment_text`)."""
    return formatting.moment_text(moment)
