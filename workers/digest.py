"""The daily digests, run once a day by the beat schedule (and safe to run again):

- every programme manager with something waiting gets a summary (applications to screen,
  reviewed applications to decide, tranches due for approval, reports to review), one row per
  manager per day;
- every message a person asked to receive "in a daily digest" is gathered into one e-mail per
  person per day (a `daily_digest` row the relay sends like any other; its items point to it).

Both are keyed by the day, so a second run the same day writes nothing new; a message that
arrives after the day's digest went out waits for the next day's.
"""

from collections import defaultdict

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from core.clock import database_now
from workers.models import Delivery, Notification, NotificationPreference
from workers.outbox import outbox_kick

MANAGER_DIGEST = "manager_digest"
DAILY_DIGEST = "daily_digest"

# What waits for a manager: (context name, model, state, path from the object to its programme).
MANAGER_QUEUES = [
    ("screen", "applications.Application", "submitted", "call__programme_id"),
    ("decide", "applications.Application", "reviewed", "call__programme_id"),
    ("approve", "grants.Tranche", "due", "grant__call__programme_id"),
    ("review", "reporting.GranteeReport", "submitted", "grant__call__programme_id"),
]


def manager_digest_write(now=None) -> int:
    """One summary per manager with anything waiting, in a constant number of queries.
    Returns the number of managers with something waiting (today's rows are written once)."""
    ProgrammeRole, User = apps.get_model("accounts", "ProgrammeRole"), get_user_model()
    now = now or database_now()
    waiting: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # programme id -> name -> count
    for name, label, state, programme in MANAGER_QUEUES:
        model = apps.get_model(label)
        for row in model.objects.order_by().filter(state=state).values(programme).annotate(n=Count("pk")):
            waiting[row[programme]][name] += row["n"]
    managers: dict = {}
    for user_id, programme_id in ProgrammeRole.objects.filter(
        role=ProgrammeRole.Role.MANAGER, user__is_active=True, programme_id__in=list(waiting)
    ).values_list("user_id", "programme_id"):
        counts = managers.setdefault(user_id, defaultdict(int))
        for name, n in waiting[programme_id].items():
            counts[name] += n
    if not managers:
        return 0
    users = {u.pk: u for u in User.objects.filter(pk__in=list(managers)).only("pk", "email", "language")}
    modes = dict(
        NotificationPreference.objects.filter(user_id__in=list(managers), kind=MANAGER_DIGEST).values_list(
            "user_id", "mode"
        )
    )
    day = timezone.localdate(now).isoformat()
    rows = []
    for user_id, counts in managers.items():
        context = {name: counts.get(name, 0) for name, *_ in MANAGER_QUEUES}
        context.update(total=sum(context.values()), path="/dashboard/")
        user = users[user_id]
        rows.append(
            Notification(
                kind=MANAGER_DIGEST,
                recipient_id=user_id,
                email=user.email.lower(),
                language=user.language or "en",
                object_type="accounts.user",
                object_id=str(user_id),
                key=day,
                context=context,
                delivery=modes.get(user_id, Delivery.IMMEDIATE),
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def digest_collect(now=None) -> int:
    """Gather each person's waiting digest messages into today's digest. Returns digests filled."""
    now = now or database_now()
    day = timezone.localdate(now).isoformat()
    waiting = Notification.objects.filter(delivery=Delivery.DIGEST, sent_at__isnull=True, recipient__isnull=False)
    with transaction.atomic():
        people = list(waiting.order_by().values("recipient_id", "recipient__email", "recipient__language").distinct())
        if not people:
            return 0
        Notification.objects.bulk_create(
            [
                Notification(
                    kind=DAILY_DIGEST,
                    recipient_id=p["recipient_id"],
                    email=p["recipient__email"].lower(),
                    language=p["recipient__language"] or "en",
                    object_type="accounts.user",
                    object_id=str(p["recipient_id"]),
                    key=day,
                    context={"path": "/notifications/"},
                    delivery=Delivery.IMMEDIATE,
                    available_at=now,
                )
                for p in people
            ],
            ignore_conflicts=True,
        )
        # Today's digests no relay has taken yet, locked so none takes one while it is filled.
        open_digests = Notification.objects.filter(
            kind=DAILY_DIGEST,
            key=day,
            sent_at__isnull=True,
            attempts=0,
            recipient_id__in=[p["recipient_id"] for p in people],
        )
        filled = list(open_digests.select_for_update().values_list("recipient_id", flat=True))
        if filled:
            waiting.filter(recipient_id__in=filled).update(
                digest_id=Subquery(open_digests.filter(recipient_id=OuterRef("recipient_id")).values("pk")[:1]),
                sent_at=now,
            )
    return len(filled)


def digest_daily(now=None) -> dict:
    """Both digests of the day by the database's clock (core.clock), not the worker's."""
    now = now or database_now()
    managers = manager_digest_write(now)
    digests = digest_collect(now)
    if managers or digests:
        outbox_kick()
    return {"manager_digests": managers, "digests": digests}
