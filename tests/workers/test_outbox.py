"""The relay (claims, confirmations, failures, leases) and the messenger's respect of preferences."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db.models.functions import Now
from django.utils import timezone

from workers.digest import digest_collect, manager_digest_write
from workers.messenger import notify_user
from workers.models import Delivery, Notification, NotificationPreference
from workers.outbox import LEASE, MAX_ATTEMPTS, outbox_claim, outbox_relay_all


@pytest.fixture
def call(programme, make_call):
    return make_call(programme, title="Innovation grants")


def publish_to(users, call, key="1"):
    for user in users:
        notify_user(
            kind="call_published", user=user, obj=call, key=key, context={"call": call.title, "path": "/calls/1/"}
        )


def test_relay_sends_once_and_marks_each_message(make_user, call):
    users = [make_user() for _ in range(3)]
    publish_to(users, call)
    publish_to(users, call)  # the same kind, object, recipient and key: nothing new

    assert outbox_relay_all() == 3
    assert outbox_relay_all() == 0
    assert len(mail.outbox) == 3
    for n in Notification.objects.all():
        assert n.sent_at is not None and n.attempts == 1 and n.last_error == ""
    message = mail.outbox[0]
    n = Notification.objects.get(email=message.to[0])
    assert message.extra_headers["Message-ID"] == f"<notification-{n.pk}@hromada.local>"
    assert message.subject == "[Hromada] New call for proposals: Innovation grants"


def test_a_failing_message_waits_with_a_back_off_and_does_not_block_the_others(make_user, call, monkeypatch):
    good, bad = make_user(email="good@example.org"), make_user(email="bad@example.org")
    publish_to([good, bad], call)
    real_send = EmailBackend.send_messages

    def send(self, messages):
        if messages[0].to == ["bad@example.org"]:
            raise ConnectionError("mailbox unavailable")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    assert outbox_relay_all() == 1
    failed = Notification.objects.get(email="bad@example.org")
    assert failed.sent_at is None and failed.attempts == 1 and "mailbox unavailable" in failed.last_error
    assert failed.available_at > timezone.now()
    assert outbox_relay_all() == 0  # not before its back-off

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    Notification.objects.filter(pk=failed.pk).update(
        available_at=Now()
    )  # its back-off ends now, by the clock the relay reads
    assert outbox_relay_all() == 1
    assert [m.to for m in mail.outbox] == [["good@example.org"], ["bad@example.org"]]


def test_claimed_rows_are_not_claimed_again_until_the_lease_ends(make_user, call):
    publish_to([make_user()], call)
    [claimed] = outbox_claim()
    assert outbox_claim() == []  # another relay finds nothing: the first one holds it

    # The first relay died without confirming: after the lease the message is sent after all.
    Notification.objects.filter(pk=claimed.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    assert outbox_relay_all() == 1
    n = Notification.objects.get()
    assert n.attempts == 2 and n.sent_at is not None
    assert timedelta(seconds=300) < LEASE  # above the relay task's hard time limit


def test_a_message_that_keeps_failing_stops_after_max_attempts(make_user, call):
    publish_to([make_user()], call)
    Notification.objects.update(attempts=MAX_ATTEMPTS)
    assert outbox_relay_all() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    "mode, sent_at_once", [(Delivery.IMMEDIATE, True), (Delivery.DIGEST, False), (Delivery.OFF, False)]
)
def test_every_sender_respects_the_preference(make_user, call, mode, sent_at_once):
    user = make_user()
    NotificationPreference.objects.create(user=user, kind="call_published", mode=mode)
    publish_to([user], call)

    assert Notification.objects.get().delivery == mode
    assert outbox_relay_all() == (1 if sent_at_once else 0)
    digests = digest_collect()
    assert digests == (1 if mode == Delivery.DIGEST else 0)
    outbox_relay_all()
    assert len(mail.outbox) == (0 if mode == Delivery.OFF else 1)


def test_daily_digest_gathers_a_persons_messages_into_one_email_in_their_language(
    make_user, call, make_call, programme
):
    user = make_user(language="uk")
    NotificationPreference.objects.create(user=user, kind="call_published", mode=Delivery.DIGEST)
    other = make_call(programme, title="Small grants", title_uk="Малі гранти")
    publish_to([user], call)
    notify_user(
        kind="call_published",
        user=user,
        obj=other,
        key="1",
        context={"call": other.title, "call_uk": other.title_uk, "path": f"/calls/{other.pk}/"},
    )

    assert digest_collect() == 1
    assert outbox_relay_all() == 1
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Innovation grants" in message.body and "Малі гранти" in message.body
    assert Notification.objects.filter(kind="call_published", sent_at__isnull=False, digest__isnull=False).count() == 2

    # A message after the day's digest went out waits for the next day's.
    notify_user(kind="call_published", user=user, obj=call, key="2", context={"call": call.title})
    assert digest_collect() == 0
    assert digest_collect(timezone.now() + timedelta(days=1)) == 1


def test_manager_digest_counts_what_waits_in_their_programmes(programme, make_user, make_org, grant_role):
    from django.utils import timezone as tz
    from djmoney.money import Money

    from applications.models import ApplicationState
    from grants.calls.models import Programme
    from tests.factories import application_in_state, call_full

    manager = grant_role(make_user(email="manager@example.org"), programme, "manager")
    elsewhere = Programme.objects.create(
        code="other",
        title="Other",
        budget=Money(1000000, "EUR"),
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
    )
    grant_role(make_user(email="other-manager@example.org"), elsewhere, "manager")
    call = call_full(programme, deadline=tz.now() + timedelta(days=3))
    for state in [
        ApplicationState.SUBMITTED,
        ApplicationState.SUBMITTED,
        ApplicationState.REVIEWED,
        ApplicationState.DRAFT,
    ]:
        person = make_user()
        application_in_state(call, make_org(person), person, state=state)

    assert manager_digest_write() == 1
    manager_digest_write()
    [n] = Notification.objects.filter(kind="manager_digest")
    assert n.email == manager.email
    assert n.context == {"screen": 2, "decide": 1, "approve": 0, "review": 0, "total": 3, "path": "/dashboard/"}
    assert outbox_relay_all() == 1
    [message] = mail.outbox
    assert message.subject == "[Hromada] What waits for you on Hromada: 3 items"
    assert "2 submitted applications to screen for eligibility" in message.body
    assert "1 reviewed application to decide" in message.body
    assert "tranche" not in message.body


def test_one_relay_per_transaction_however_many_messages(make_user, call, django_capture_on_commit_callbacks):
    from django.db import transaction

    users = [make_user() for _ in range(5)]
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        publish_to(users, call)
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        publish_to(users[:1], call, key="2")
        try:
            with transaction.atomic():  # rolled back: its kick goes, the outer one stays
                publish_to(users[1:], call, key="2")
                raise RuntimeError
        except RuntimeError:
            pass
    assert len(callbacks) == 1
