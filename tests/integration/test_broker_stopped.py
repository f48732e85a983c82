"""Redis really stopped (its process killed, nothing saved): what a user does still succeeds at
once, the message waits in the outbox, and once Redis is back the e-mail goes out exactly once —
however many relays are then queued."""

import time

import pytest

from tests.integration.conftest import mail_messages, wait_for, worker_answers

pytestmark = pytest.mark.integration


def invitation(make_user, make_org):
    from accounts.services import member_invite

    owner = make_user(email="owner@example.org")
    org = make_org(owner)
    member_invite(actor=owner, organisation=org, email="invitee@example.org")
    return "organisation_invitation", ["invitee@example.org"]


def submission(make_user, make_org, programme):
    from tests.factories import application_in_state, call_full

    try:
        from applications.services import application_submit
    except ImportError:
        pytest.skip("applications.services.application_submit is not there yet")
    owner = make_user(email="applicant@example.org", language="uk")
    call = call_full(programme)
    call.required_documents.all().delete()
    app = application_in_state(call, make_org(owner), owner, requested="37500", title="Open budgets")
    application_submit(actor=owner, application_id=app.pk)
    return "application_submitted", ["applicant@example.org"]


ACTIONS = {"invitation": invitation, "submission": submission}


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_while_redis_is_stopped_succeeds_and_its_email_goes_out_once_redis_is_back(
    action, private_redis, start_worker, make_user, make_org, programme, request
):
    from workers.celery import app
    from workers.models import Notification
    from workers.tasks import outbox_relay

    worker = start_worker(private_redis.url)
    private_redis.stop()

    started = time.monotonic()
    if action == "submission":
        kind, recipients = submission(make_user, make_org, programme)
    else:
        kind, recipients = invitation(make_user, make_org)
    elapsed = time.monotonic() - started

    # The user's request succeeded, quickly; the message waits in the outbox.
    assert elapsed < 3.0, f"the {action} took {elapsed:.1f} s with Redis stopped"
    [n] = Notification.objects.filter(kind=kind)
    assert n.sent_at is None and n.attempts == 0
    assert mail_messages(start_worker.mail_dir) == []

    # Redis comes back empty (nothing was saved); the worker reconnects by itself.
    private_redis.start()
    wait_for(
        lambda: worker_answers(app, worker.nodename),
        "the worker to reconnect to the restarted Redis",
        timeout=60,
        worker=worker,
    )
    # What the beat's "outbox-relay" entry does every 30 s — here three times at once.
    task_ids = [outbox_relay.delay().id for _ in range(3)]

    results = [
        wait_for(lambda: worker.task_succeeded(task_id), f"relay {task_id}", worker=worker) for task_id in task_ids
    ]
    assert sorted(results) == ["0", "0", "1"]
    n.refresh_from_db()
    assert n.sent_at is not None and n.attempts == 1
    messages = mail_messages(start_worker.mail_dir)
    assert [m["To"] for m in messages] == recipients
    assert messages[0]["Message-ID"] == f"<notification-{n.pk}@hromada.local>"
