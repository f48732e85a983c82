"""Reminders: what is due, who is told, when. Each entry of REMINDERS reads as a sentence:
"<kind>: tell <recipient> about every <model> that is still <waiting>, <offsets> days from its
<due> date" (negative = before it, 0 = once it is overdue, positive = that many days after).

The sweep (hourly, from the beat schedule) turns each (reminder, offset) into one
INSERT … SELECT … ON CONFLICT DO NOTHING: the database finds the due objects and their
recipients, and writes one outbox row per (kind, object, recipient, key) where the key is the
due date and the offset ("2026-11-29:d-7"). The unique constraint makes a second sweep, or two
sweeps at once, write nothing more — and one row is one e-mail. No object is loaded into Python.

An offset fires from its moment until the next offset's (the last "before" offset until the due
moment; an "after" offset for CATCH_UP_DAYS), so a sweep that did not run for a while still
sends the reminder that applies now, and never one that no longer does.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Case, CharField, DateTimeField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, NullIf, TruncDate
from django.utils import timezone

from core.clock import database_now
from core.languages import message_columns
from workers.models import Delivery, Notification, NotificationPreference
from workers.outbox import outbox_kick, relays_for

CATCH_UP_DAYS = 30


@dataclass(frozen=True)
class Reminder:
    kind: str  # a KINDS entry; preferences are per kind
    model: str  # "app_label.Model" of the objects that fall due
    waiting: Q  # the objects still waiting (states…)
    due: str | object  # the due date or time: a field path or an expression
    offsets: tuple[int, ...]  # days from the due moment: -7 = a week before, 0 = overdue, 5 = five days after
    recipient: str  # path from the object to the User told (all of them when it is a list)
    recipient_filter: dict = field(default_factory=dict)  # more conditions on the recipient's path (a role…)
    context: dict = field(default_factory=dict)  # name in the message -> field path or expression
    link: tuple[str, str] = ("", "")  # the object's page: prefix and suffix around an id
    link_id: str = "pk"

    def windows(self):
        """(offset, until): the offset applies while due + offset <= now < due + until."""
        offsets = sorted(self.offsets)
        for i, offset in enumerate(offsets):
            if i + 1 < len(offsets):
                until = offsets[i + 1]
            else:
                until = 0 if offset < 0 else offset + CATCH_UP_DAYS
            yield offset, until


def offset_label(offset: int) -> str:
    return "overdue" if offset == 0 else f"d{offset:+d}"


def _deadline_of_application():
    # An individual extension moves the applicant's deadline later, never earlier.
    return Case(
        When(deadline_extended_to__gt=F("call__deadline"), then=F("deadline_extended_to")),
        default=F("call__deadline"),
        output_field=DateTimeField(),
    )


REMINDERS = [
    Reminder(
        kind="reminder_application_deadline",
        model="applications.Application",
        waiting=Q(state="draft", call__state="open"),
        due=_deadline_of_application(),
        offsets=(-7, -1),
        recipient="organisation__memberships__user",
        context={
            **message_columns("call", "call__title"),
            "application": "title",
            "deadline": "n_due",
        },
        link=("/applications/", "/"),
    ),
    Reminder(
        kind="reminder_clarification_due",
        model="applications.Application",
        waiting=Q(state="clarification_requested", clarification_due__isnull=False),
        due="clarification_due",
        offsets=(-2,),
        recipient="organisation__memberships__user",
        context={
            "application": Coalesce(NullIf("reference", Value("")), "title"),
            **message_columns("call", "call__title"),
            "due": "n_due",
        },
        link=("/applications/", "/clarification/"),
    ),
    Reminder(
        kind="reminder_review_due",
        model="applications.Review",
        waiting=Q(state__in=["assigned", "accepted", "returned"]),
        due="due_at",
        offsets=(-3, 0),
        recipient="reviewer",
        context={
            "application": Coalesce(NullIf("application__reference", Value("")), "application__title"),
            **message_columns("call", "application__call__title"),
            "due": "n_due",
        },
        link=("/reviews/", "/"),
    ),
    Reminder(
        kind="reminder_report_due",
        model="reporting.GranteeReport",
        waiting=Q(state__in=["scheduled", "changes_requested"], grant__state="active"),
        due="due_on",
        offsets=(-14, -3, 0),
        recipient="grant__organisation__memberships__user",
        context={"report": "kind", "grant": "grant__number", "due": "n_due"},
        link=("/reports/", "/"),
    ),
    Reminder(
        kind="reminder_tranche_unpaid",
        model="grants.Tranche",
        waiting=Q(state="approved", approved_at__isnull=False),
        due="approved_at",
        offsets=(5,),
        recipient="grant__call__programme__roles__user",
        recipient_filter={"grant__call__programme__roles__role": "finance"},
        context={"tranche": "position", "grant": "grant__number", "approved": "n_due"},
        link=("/grants/", "/"),
        link_id="grant_id",
    ),
]


def _expr(value):
    return F(value) if isinstance(value, str) else value


def reminder_queryset(reminder: Reminder, offset: int, until: int, now):
    """The rows one (reminder, offset) writes, as a values() queryset: one per object and recipient."""
    model = apps.get_model(reminder.model)
    r = reminder.recipient
    # One filter() call, so the recipient's conditions and the columns read below share one join.
    people = {f"{r}__is_active": True, **reminder.recipient_filter}
    qs = model.objects.order_by().filter(reminder.waiting, **people).annotate(n_due=_expr(reminder.due))
    due_is_time = isinstance(qs.query.annotations["n_due"].output_field, DateTimeField)
    if due_is_time:
        window = Q(n_due__lte=now - timedelta(days=offset), n_due__gt=now - timedelta(days=until))
        due_day: TruncDate | F = TruncDate("n_due", tzinfo=timezone.get_current_timezone())
    else:
        today = timezone.localdate(now)
        window = Q(n_due__lte=today - timedelta(days=offset), n_due__gt=today - timedelta(days=until))
        due_day = F("n_due")
    context = {name: _expr(value) for name, value in reminder.context.items()}
    context["offset"] = Value(offset)
    prefix, suffix = reminder.link
    context["path"] = Concat(
        Value(prefix), Cast(reminder.link_id, CharField()), Value(suffix), output_field=CharField()
    )
    return (
        qs.filter(window)
        .annotate(
            n_recipient=F(f"{r}_id"),
            n_email=F(f"{r}__email"),
            n_language=F(f"{r}__language"),
            n_object_id=Cast("pk", CharField()),
            n_key=Concat(Cast(due_day, CharField()), Value(":" + offset_label(offset)), output_field=CharField()),
            n_context=JSONObject(**context),
            n_delivery=Coalesce(
                Subquery(
                    NotificationPreference.objects.filter(user_id=OuterRef("n_recipient"), kind=reminder.kind).values(
                        "mode"
                    )[:1]
                ),
                Value(Delivery.IMMEDIATE),
                output_field=CharField(),
            ),
        )
        .values("n_recipient", "n_email", "n_language", "n_object_id", "n_key", "n_context", "n_delivery")
    )


COLUMNS = [
    "kind",
    "object_type",
    "recipient_id",
    "email",
    "language",
    "object_id",
    "key",
    "context",
    "delivery",
    "created_at",
    "available_at",
    "attempts",
    "last_error",
]


def outbox_insert_select(*, kind: str, object_type: str, rows, now) -> int:
    """INSERT the outbox rows `rows` (reminder_queryset) describes; those already there are skipped."""
    inner_sql, inner_params = rows.query.sql_with_params()
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {q(Notification._meta.db_table)} ({', '.join(q(c) for c in COLUMNS)}) "
        f"SELECT %s, %s, n_recipient, LOWER(n_email), n_language, n_object_id, n_key, n_context, n_delivery, "
        f"%s, %s, 0, '' FROM ({inner_sql}) AS due WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (kind, object_type, now, now, *inner_params))
        return max(cursor.rowcount, 0)


SWEEP_LOCK = 0x68726D64  # "hrmd": one sweep at a time on PostgreSQL (two would only wait on each other's rows)


def reminders_sweep(now=None, *, kick: bool = True) -> dict[str, int]:
    """Write every reminder due now. Returns rows written per "kind:offset" (0 for a repeat)."""

    now = now or database_now()  # the database's clock: a worker's own may be off
    written = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK])
        for reminder in REMINDERS:
            object_type = apps.get_model(reminder.model)._meta.label_lower
            for offset, until in reminder.windows():
                rows = reminder_queryset(reminder, offset, until, now)
                written[f"{reminder.kind}:{offset_label(offset)}"] = outbox_insert_select(
                    kind=reminder.kind, object_type=object_type, rows=rows, now=now
                )
        total = sum(written.values())
        if kick and total:
            transaction.on_commit(lambda: outbox_kick(parallel=relays_for(total)))
    return written
