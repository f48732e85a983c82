"""The relay on a real SMTP connection: PIPELINING when the server offers it, plain SMTP
otherwise; a refused recipient fails only its own message."""

import pytest

from tests.workers.smtp_sink import Sink
from workers.messenger import notify_user
from workers.models import Notification
from workers.outbox import outbox_relay_all


@pytest.fixture(params=[True, False], ids=["pipelining", "plain"])
def sink(request, settings):
    sink = Sink(pipelining=request.param).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()


def test_messages_arrive_whole_in_the_recipients_language(sink, make_user, programme, make_call):
    call = make_call(programme, title="Innovation grants", title_uk="Інноваційні гранти")
    people = [make_user(email=f"p{i}@example.org", language=["uk", "en"][i % 2]) for i in range(4)]
    for person in people:
        notify_user(
            kind="call_published",
            user=person,
            obj=call,
            key="1",
            context={"call": call.title, "call_uk": call.title_uk, "path": "/calls/1/\n.hidden line"},
        )

    assert outbox_relay_all() == 4

    assert sink.transactions == 4
    received = {rcpt[0]: message for rcpt, message in sink.messages}
    assert sorted(received) == [p.email for p in people]
    uk = received["p0@example.org"]
    subject = str(uk["Subject"]).strip()  # Django folds an encoded subject after "Subject:"
    assert "Інноваційні гранти" in subject and subject.startswith("[Hromada]")
    assert (
        "\n.hidden line" in uk.get_body(("plain",)).get_content()
    )  # a line starting with "." survives the SMTP dot rule
    n = Notification.objects.get(email="p0@example.org")
    assert uk["Message-ID"] == f"<notification-{n.pk}@hromada.local>" and n.sent_at is not None


def test_a_refused_recipient_fails_only_its_own_message(sink, make_user, programme, make_call):
    call = make_call(programme)
    sink.refuse.add("gone@example.org")
    for email in ["first@example.org", "gone@example.org", "last@example.org"]:
        notify_user(kind="call_published", user=make_user(email=email), obj=call, key="1", context={"call": call.title})

    assert outbox_relay_all() == 2

    assert sorted(r[0] for r, _ in sink.messages) == ["first@example.org", "last@example.org"]
    gone = Notification.objects.get(email="gone@example.org")
    assert gone.sent_at is None and gone.attempts == 1 and "550" in gone.last_error


@pytest.mark.usefixtures("postgres")
def test_on_postgresql_marks_are_written_by_the_companion_thread(sink, make_user, programme, make_call):
    from django.db import transaction

    call = make_call(programme)
    with transaction.atomic():  # one commit: its hook relays all 30 in this process (no broker)
        for i in range(30):
            notify_user(kind="call_published", user=make_user(), obj=call, key="1", context={"call": call.title})

    assert outbox_relay_all() == 0  # nothing left

    assert Notification.objects.filter(sent_at__isnull=False, attempts=1).count() == 30
    assert len(sink.messages) == 30
