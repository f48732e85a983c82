"""E-mail people can act on, through a real SMTP server started by the test (tests/workers/smtp_sink):
multipart/alternative with the text part first and an HTML part holding the action as a link;
the headers; a footer saying why the mail came and how to change it; List-Unsubscribe with a
signed one-click URL that a POST (RFC 8058) honours; account mail that cannot be stopped; times
in the recipient's time zone and language; plurals by number."""

from datetime import UTC, datetime

import pytest

from tests.workers.smtp_sink import Sink
from workers.messenger import notify_user
from workers.models import Delivery, Notification, NotificationPreference
from workers.outbox import outbox_relay_all


@pytest.fixture
def sink(settings):
    sink = Sink(pipelining=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://grants.example.org"
    yield sink
    sink.stop()


def _received(sink):
    return {rcpt[0]: message for rcpt, message in sink.messages}


def test_a_reminder_is_multipart_with_headers_footer_and_one_click_unsubscribe(sink, client, make_user, programme):
    person = make_user(email="reviewer@example.org", language="hy")
    person.time_zone = "Asia/Yerevan"
    person.save(update_fields=["time_zone"])
    due = datetime(2026, 3, 1, 13, 30, tzinfo=UTC)  # 17:30 in Yerevan, 15:30 in Kyiv
    notify_user(
        kind="reminder_review_due",
        user=person,
        obj=programme,
        key="2026-03-01",
        context={"application": "ADV-0001", "due": due.isoformat(), "offset": -2, "path": "/reviews/1/"},
    )
    assert outbox_relay_all() == 1
    message = _received(sink)["reviewer@example.org"]

    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Content-Language"] == "hy" and message["Auto-Submitted"] == "auto-generated"
    n = Notification.objects.get()
    assert message["Message-ID"] == f"<notification-{n.pk}@grants.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert url.startswith("https://grants.example.org/notifications/unsubscribe/")

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "01.03.2026, 17:30 (Երևան)" in text and "p.m." not in text  # Yerevan's time and city, Armenian format
    assert "https://grants.example.org/notifications/preferences/" in text and url in text
    assert '<a href="https://grants.example.org/reviews/1/"' in html and "<img" not in html
    assert 'lang="hy"' in html and url in html

    # A link checker's GET stops nothing; the mail client's one-click POST does, without a session.
    path = url.removeprefix("https://grants.example.org")
    assert client.get(path).status_code == 200
    assert not NotificationPreference.objects.filter(user=person).exists()
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=person, kind="reminder_review_due").mode == Delivery.OFF
    # A forged or altered token is nothing.
    assert client.post(path[:-3] + "xx/").status_code == 404


def test_account_mail_has_no_unsubscribe_and_says_why(sink, make_user, make_org):
    person = make_user(email="owner@example.org")
    org = make_org(person)
    notify_user(
        kind="organisation_invitation",
        user=person,
        obj=org,
        key="1",
        context={"organisation": org.legal_name, "path": "/organisations/invitations/x/"},
    )
    assert outbox_relay_all() == 1
    message = _received(sink)["owner@example.org"]
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert "cannot be switched off" in message.get_body(("plain",)).get_content()


def test_the_digest_counts_in_words_for_one(sink, make_user, programme):
    from workers.digest import digest_collect

    person = make_user(email="digest@example.org")
    NotificationPreference.objects.create(user=person, kind="call_published", mode=Delivery.DIGEST)
    notify_user(kind="call_published", user=person, obj=programme, key="1", context={"call": "Call A", "path": "/"})
    digest_collect()
    outbox_relay_all()
    message = _received(sink)["digest@example.org"]
    assert str(message["Subject"]).endswith("Your Hromada digest: 1 notification")
    assert message["List-Unsubscribe"]
