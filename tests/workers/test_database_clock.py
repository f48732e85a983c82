"""Scheduled work keeps the database's time: a worker whose own clock is off (here: Python's
`timezone.now` moved, while the database's clock stays real) cannot close a call early, fire a
reminder early, or take a leased outbox row early."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.clock import database_now
from grants.calls.models import Call, CallState
from grants.calls.tasks import calls_open_close
from tests.factories import application_in_state, call_full
from workers.digest import manager_digest_write
from workers.messenger import notify_user
from workers.models import Notification
from workers.outbox import outbox_claim, outbox_relay_all
from workers.tasks import reminders_sweep

REAL_NOW = timezone.now


@pytest.fixture
def process_clock(monkeypatch):
    """clock(offset): from now on this process believes it is `offset` later than it is."""

    def move(offset: timedelta) -> None:
        monkeypatch.setattr(timezone, "now", lambda: REAL_NOW() + offset)

    return move


def test_the_database_clock_is_not_the_process_clock(db, process_clock):
    process_clock(timedelta(hours=3))
    assert abs(database_now() - REAL_NOW()) < timedelta(seconds=5)
    assert timezone.now() - database_now() > timedelta(hours=2)


def test_a_worker_clock_ahead_does_not_close_a_call_early(programme, process_clock):
    call = call_full(programme, deadline=REAL_NOW() + timedelta(hours=1))
    process_clock(timedelta(hours=2))

    calls_open_close.apply(throw=True)

    assert Call.objects.get(pk=call.pk).state == CallState.OPEN


def test_a_worker_clock_behind_still_closes_and_opens_on_time(programme, process_clock):
    due = call_full(programme, code="due", deadline=REAL_NOW() - timedelta(minutes=1))
    opening = call_full(programme, code="new", state=CallState.PUBLISHED, opens_at=REAL_NOW() - timedelta(minutes=1))
    process_clock(-timedelta(hours=2))

    assert calls_open_close.apply(throw=True).get() == [1, 1]

    assert Call.objects.get(pk=due.pk).state == CallState.CLOSED
    assert Call.objects.get(pk=opening.pk).state == CallState.OPEN


def test_a_worker_clock_ahead_does_not_fire_reminders_early(programme, make_user, make_org, process_clock):
    owner = make_user(email="olena@example.org")
    call = call_full(programme, deadline=REAL_NOW() + timedelta(days=10), opens_at=REAL_NOW() - timedelta(days=30))
    application_in_state(call, make_org(owner), owner)
    process_clock(timedelta(days=4))  # by this clock the deadline is six days away: "a week before"

    reminders_sweep.apply(throw=True)

    assert not Notification.objects.filter(kind__startswith="reminder_").exists()


def test_a_worker_clock_behind_still_fires_reminders_on_time(programme, make_user, make_org, process_clock):
    owner = make_user(email="olena@example.org")
    call = call_full(programme, deadline=REAL_NOW() + timedelta(hours=20), opens_at=REAL_NOW() - timedelta(days=30))
    application_in_state(call, make_org(owner), owner)
    process_clock(-timedelta(days=3))

    reminders_sweep.apply(throw=True)

    [reminder] = Notification.objects.filter(kind="reminder_application_deadline")
    assert reminder.key.endswith(":d-1")


def test_the_outbox_lease_runs_on_the_database_clock(make_user, make_call, programme, process_clock):
    call = make_call(programme)
    notify_user(kind="call_published", user=make_user(), obj=call, key="1", context={"call": "C", "path": "/"})
    [claimed] = outbox_claim()  # a relay holds it for the lease (ten minutes)

    process_clock(timedelta(hours=1))  # another relay, whose clock is an hour ahead
    assert outbox_claim() == []
    assert Notification.objects.get().available_at > REAL_NOW() + timedelta(minutes=9)


def test_the_back_off_runs_on_the_database_clock(make_user, make_call, programme, process_clock, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    call = make_call(programme)
    notify_user(kind="call_published", user=make_user(), obj=call, key="1", context={"call": "C", "path": "/"})
    process_clock(-timedelta(hours=1))  # a relay an hour behind: its back-off would end in the past

    monkeypatch.setattr(EmailBackend, "send_messages", lambda self, messages: (_ for _ in ()).throw(OSError("down")))
    assert outbox_relay_all() == 0
    failed = Notification.objects.get()
    assert failed.attempts == 1 and failed.available_at > REAL_NOW()
    assert outbox_claim() == []  # not retried before its back-off


def test_the_managers_digest_is_keyed_by_the_database_day(programme, grant_role, make_user, make_org, process_clock):
    manager = make_user(email="manager@example.org")
    grant_role(manager, programme, "manager")
    owner = make_user()
    call = call_full(programme)
    application_in_state(call, make_org(owner), owner, state="submitted")
    process_clock(timedelta(days=2))

    assert manager_digest_write() == 1

    [digest] = Notification.objects.filter(kind="manager_digest")
    assert digest.key == timezone.localdate(database_now()).isoformat()
