"""The reminder sweep with real workers on Redis and PostgreSQL: run twice in a row, twice at
the same moment (two threads, and two worker processes), with relays in parallel — one e-mail
per person per reminder; and the reminder in each person's language and by their preference."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone, translation
from django.utils.translation import gettext

from tests.integration.conftest import mail_messages, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def due(programme, make_user, make_org):
    """Drafts due in 3 days for 8 organisations of 2 members, and reviews due in 2 days."""
    from accounts.models import Membership
    from applications.models import ApplicationState
    from tests.factories import application_in_state, call_full
    from tests.workers.builders import review_assigned

    deadline = timezone.now() + timedelta(days=3)
    call = call_full(
        programme,
        deadline=deadline,
        title="Advocacy grants",
        title_uk="Гранти на адвокацію",
        title_hy="Փաստաբանական դրամաշնորհներ",
    )
    expected = Counter()
    for i in range(8):
        owner = make_user(email=f"owner{i}@example.org", language=["en", "uk", "hy"][i % 3])
        org = make_org(owner)
        member = make_user(email=f"member{i}@example.org")
        Membership.objects.create(organisation=org, user=member)
        application_in_state(call, org, owner)
        expected[owner.email] += 1
        expected[member.email] += 1
    closed = call_full(
        programme,
        code="closed",
        deadline=timezone.now() - timedelta(days=30),
        opens_at=timezone.now() - timedelta(days=90),
    )
    reviewed = application_in_state(closed, make_org(make_user()), make_user(), state=ApplicationState.UNDER_REVIEW)
    for i in range(3):
        reviewer = make_user(email=f"reviewer{i}@example.org")
        review_assigned(reviewed, reviewer, due_at=timezone.now() + timedelta(days=2), accept=True)
        expected[reviewer.email] += 1
    return call, expected


def recipients(mail_dir) -> Counter:
    return Counter(m["To"] for m in mail_messages(mail_dir))


def outbox_drained():
    from workers.models import Notification

    return not Notification.objects.filter(sent_at__isnull=True, delivery="immediate").exists()


def assert_one_email_per_person_per_reminder(mail_dir, expected):
    from workers.models import Notification

    assert recipients(mail_dir) == expected
    messages = mail_messages(mail_dir)
    assert len({m["Message-ID"] for m in messages}) == len(messages) == sum(expected.values())
    assert Notification.objects.filter(kind__startswith="reminder_").count() == sum(expected.values())


def test_sweep_twice_in_a_row_sends_one_email_per_person_per_reminder(due, start_worker):
    from workers.tasks import reminders_sweep

    _, expected = due
    worker = start_worker()

    first, second = reminders_sweep.delay().id, reminders_sweep.delay().id
    assert wait_for(lambda: worker.task_succeeded(first), "the first sweep", worker=worker) == str(
        sum(expected.values())
    )
    assert wait_for(lambda: worker.task_succeeded(second), "the second sweep", worker=worker) == "0"
    wait_for(outbox_drained, "the relays to send every reminder", worker=worker)
    third = reminders_sweep.delay().id
    assert wait_for(lambda: worker.task_succeeded(third), "a later sweep", worker=worker) == "0"

    assert_one_email_per_person_per_reminder(start_worker.mail_dir, expected)


def test_two_sweeps_at_the_same_moment_in_two_threads(due, start_worker):
    from workers.reminders import reminders_sweep

    _, expected = due
    worker = start_worker(concurrency=2, pool="prefork")
    barrier = threading.Barrier(2)
    written, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            written.append(sum(reminders_sweep().values()))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sorted(written) == [0, sum(expected.values())]
    wait_for(outbox_drained, "the relays to send every reminder", worker=worker)
    assert_one_email_per_person_per_reminder(start_worker.mail_dir, expected)


def test_two_workers_sweeping_and_relaying_at_once(due, start_worker):
    """Two worker processes each run a sweep and several relays at the same moment."""
    from workers.tasks import outbox_relay, reminders_sweep

    _, expected = due
    first = start_worker(concurrency=2, pool="prefork")
    second = start_worker(concurrency=2, pool="prefork")
    for _ in range(2):
        reminders_sweep.delay()
    for _ in range(6):
        outbox_relay.delay()

    wait_for(
        lambda: sum(expected.values()) == sum(recipients(start_worker.mail_dir).values()),
        "every reminder to be sent",
        worker=first,
    )
    wait_for(outbox_drained, "the outbox to be empty", worker=second)
    assert_one_email_per_person_per_reminder(start_worker.mail_dir, expected)


def test_the_reminder_is_in_each_persons_language_and_follows_their_preference(
    programme, make_user, make_org, start_worker
):
    from tests.factories import application_in_state, call_full
    from workers.models import NotificationPreference
    from workers.rendering import when_format
    from workers.tasks import reminders_sweep

    call = call_full(
        programme,
        deadline=timezone.now() + timedelta(days=3),
        title="Advocacy grants",
        title_uk="Гранти на адвокацію",
        title_hy="Փաստաբանական դրամաշնորհներ",
    )
    people = {lang: make_user(email=f"{lang}@example.org", language=lang) for lang in ("en", "uk", "hy")}
    people["digest"] = make_user(email="digest@example.org", language="uk")
    people["off"] = make_user(email="off@example.org")
    NotificationPreference.objects.create(user=people["digest"], kind="reminder_application_deadline", mode="digest")
    NotificationPreference.objects.create(user=people["off"], kind="reminder_application_deadline", mode="off")
    for person in people.values():
        application_in_state(call, make_org(person), person)
    worker = start_worker()

    task_id = reminders_sweep.delay().id
    assert wait_for(lambda: worker.task_succeeded(task_id), "the sweep", worker=worker) == "5"
    wait_for(outbox_drained, "the relay", worker=worker)

    messages = {m["To"]: m for m in mail_messages(start_worker.mail_dir)}
    assert sorted(messages) == ["en@example.org", "hy@example.org", "uk@example.org"]  # digest waits, off stays in-app
    for lang in ("en", "uk", "hy"):
        with translation.override(lang):
            title = call.title
            expected = gettext("Reminder: submit your application to %(call)s by %(deadline)s") % {
                "call": title,
                "deadline": when_format(call.deadline.isoformat()),
            }
        assert str(messages[f"{lang}@example.org"]["Subject"]).strip() == "[Hromada] " + expected
        assert messages[f"{lang}@example.org"]["Content-Language"] == lang

    from workers.tasks import digest_daily

    task_id = digest_daily.delay().id
    wait_for(lambda: worker.task_succeeded(task_id), "the daily digest", worker=worker)
    wait_for(
        lambda: "digest@example.org" in {m["To"] for m in mail_messages(start_worker.mail_dir)},
        "the digest e-mail",
        worker=worker,
    )
    digest = [m for m in mail_messages(start_worker.mail_dir) if m["To"] == "digest@example.org"]
    assert len(digest) == 1 and "Гранти на адвокацію" in digest[0].get_body(("plain",)).get_content()
    assert "off@example.org" not in {m["To"] for m in mail_messages(start_worker.mail_dir)}
