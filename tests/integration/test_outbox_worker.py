"""The outbox with a real Celery worker on real Redis and the real PostgreSQL test database:
an invitation e-mail is sent once, a repeated relay sends nothing more, and a broker outage
delays the message without failing the user's request or losing it."""

import logging
import socket
import threading
import time

import pytest

from tests.integration.conftest import celery_use_broker, wait_for

pytestmark = pytest.mark.integration

INVITEE = "invitee@example.org"


def invite(make_user, make_org):
    from accounts.services import member_invite

    owner = make_user(email="owner@example.org")
    org = make_org(owner)
    return member_invite(actor=owner, organisation=org, email=INVITEE)


def notification():
    from workers.models import Notification

    return Notification.objects.get(kind="organisation_invitation", email=INVITEE)


def assert_one_invitation_sent(worker, invitation):
    messages = worker.messages()
    assert len(worker.mail_files()) == 1, worker.mail_files()
    assert len(messages) == 1, [m["Subject"] for m in messages]
    message = messages[0]
    assert message["To"] == INVITEE
    assert message["Subject"].startswith("[Hromada] You are invited to join")
    assert f"/organisations/invitations/{invitation.token}/" in message.get_body(("plain",)).get_content()


def test_invitation_is_relayed_by_the_worker_once(celery_worker_process, make_user, make_org):
    worker = celery_worker_process

    invitation = invite(make_user, make_org)

    # The commit hook queued a relay; the worker sends the row and marks it.
    wait_for(lambda: notification().sent_at, "the worker to mark the invitation sent", worker=worker)
    wait_for(lambda: "1" in worker.relays_succeeded(), "the relay task to report one message", worker=worker)
    assert_one_invitation_sent(worker, invitation)
    n = notification()
    assert n.attempts == 1 and n.last_error == ""


def test_relaying_again_sends_nothing_more(celery_worker_process, make_user, make_org):
    from workers.tasks import outbox_relay

    worker = celery_worker_process
    invitation = invite(make_user, make_org)
    wait_for(lambda: notification().sent_at, "the worker to mark the invitation sent", worker=worker)
    sent_at = notification().sent_at

    task_ids = [outbox_relay.delay().id, outbox_relay.delay().id]

    results = [
        wait_for(lambda: worker.task_succeeded(task_id), f"relay {task_id} to finish", worker=worker)
        for task_id in task_ids
    ]
    assert results == ["0", "0"]
    assert_one_invitation_sent(worker, invitation)
    n = notification()
    assert n.sent_at == sent_at and n.attempts == 1


@pytest.fixture
def silent_broker():
    """A TCP port that accepts connections and never answers: a hung Redis, or a half-open link."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # never accept(): the kernel completes the handshakes, nobody replies
    # Closing the listener resets the connections waiting on it: a client that would wait
    # forever gets an error after this long, so a regression fails the test instead of hanging it.
    hang_breaker = threading.Timer(8.0, listener.close)
    hang_breaker.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    hang_breaker.cancel()
    listener.close()


@pytest.mark.parametrize("outage", ["refused", "silent"])
def test_broker_outage_delays_the_message_and_never_loses_it(
    outage, request, celery_worker_process, make_user, make_org, caplog
):
    from workers.celery import app
    from workers.tasks import outbox_relay

    worker = celery_worker_process
    real_broker = app.conf.broker_url
    dead_broker = "redis://127.0.0.1:1/0" if outage == "refused" else request.getfixturevalue("silent_broker")

    celery_use_broker(app, dead_broker)
    caplog.set_level(logging.WARNING, logger="workers.messenger")
    started = time.monotonic()
    invitation = invite(make_user, make_org)  # includes the commit hook that tries the broker
    elapsed = time.monotonic() - started

    # The user's request succeeded, quickly; the message waits in the outbox.
    assert elapsed < 2.0, f"inviting took {elapsed:.1f} s on a dead broker"
    assert any("outbox relay could not be queued" in r.getMessage() for r in caplog.records), caplog.text
    n = notification()
    assert n.sent_at is None and n.attempts == 0
    assert worker.messages() == []
    assert "outbox_relay[" not in worker.log()  # no relay task ever reached the worker

    # The broker is back; the beat schedule's "outbox-relay" entry enqueues this every 30 s.
    celery_use_broker(app, real_broker)
    task_id = outbox_relay.delay().id

    assert wait_for(lambda: worker.task_succeeded(task_id), "the catch-up relay to finish", worker=worker) == "1"
    assert notification().sent_at is not None
    assert_one_invitation_sent(worker, invitation)
