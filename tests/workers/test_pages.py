"""The notifications page, mark read, preferences (page and API), and the header's unread count."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from workers.context_processors import notifications as unread_context
from workers.messenger import notify_user
from workers.models import Delivery, Notification, NotificationPreference


@pytest.fixture
def call(programme, make_call):
    return make_call(programme, title="Innovation grants", title_uk="Інноваційні гранти")


def notify(user, call, n=1, first=0):
    for i in range(first, first + n):
        notify_user(
            kind="call_published",
            user=user,
            obj=call,
            key=str(i),
            context={"call": call.title, "call_uk": call.title_uk, "path": f"/calls/{call.pk}/"},
        )


def test_page_lists_unread_in_the_readers_language_and_marks_them_read(client, make_user, call):
    user = make_user(language="uk")
    notify(user, call, 2)
    client.force_login(user)

    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert page.count("Інноваційні гранти</button>") == 2

    n = Notification.objects.filter(recipient=user).first()
    response = client.post(f"/notifications/{n.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/calls/{call.pk}/"
    n.refresh_from_db()
    assert n.read_at is not None

    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_nobody_reads_or_marks_another_persons_notifications(client, make_user, call):
    owner, intruder = make_user(), make_user()
    notify(owner, call)
    n = Notification.objects.get()
    client.force_login(intruder)

    assert client.post(f"/notifications/{n.pk}/read/").status_code == 404
    assert "Innovation grants" not in client.get("/notifications/").content.decode()
    assert client.get("/api/v1/notifications/").json()["results"] == []
    assert client.post(f"/api/v1/notifications/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_preferences_form_stores_a_choice_per_kind(client, make_user, make_org, programme, grant_role):
    from accounts.models import ProgrammeRole

    user = make_user()
    make_org(user)
    grant_role(user, programme, ProgrammeRole.Role.REVIEWER)
    client.force_login(user)
    page = client.get("/notifications/preferences/").content.decode()
    assert "Reminders of a call&#x27;s deadline while your application is a draft" in page
    assert 'name="daily_digest"' not in page and 'name="organisation_invitation"' not in page

    response = client.post(
        "/notifications/preferences/",
        {
            **dict.fromkeys(["call_published"], Delivery.IMMEDIATE),
            "reminder_application_deadline": Delivery.DIGEST,
            "review_assigned": Delivery.IMMEDIATE,
            "reminder_review_due": Delivery.OFF,
        },
    )
    assert response.status_code == 200  # every kind must be chosen: the form shows what is missing
    from workers.preferences import preferences_get

    modes = preferences_get(user)
    response = client.post(
        "/notifications/preferences/",
        {**modes, "reminder_application_deadline": Delivery.DIGEST, "reminder_review_due": Delivery.OFF},
    )
    assert response.status_code == 302
    assert dict(
        NotificationPreference.objects.filter(user=user).exclude(mode=Delivery.IMMEDIATE).values_list("kind", "mode")
    ) == {"reminder_application_deadline": "digest", "reminder_review_due": "off"}


def test_api_lists_marks_read_and_sets_preferences(client, make_user, call):
    user = make_user()
    notify(user, call, 2)
    client.force_login(user)

    listed = client.get("/api/v1/notifications/?unread=1").json()
    assert listed["count"] == 2
    assert listed["results"][0]["subject"] == "New call for proposals: Innovation grants"
    first = listed["results"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read/").json()["read_at"] is not None
    assert client.get("/api/v1/notifications/?unread=1").json()["count"] == 1
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}

    response = client.put(
        "/api/v1/notifications/preferences/", {"call_published": "digest"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["call_published"] == "digest"
    response = client.put(
        "/api/v1/notifications/preferences/", {"call_published": "loud"}, content_type="application/json"
    )
    assert response.status_code == 400 and "call_published" in response.json()


def unread_badge(user) -> tuple[str, int]:
    request = RequestFactory().get("/")
    request.user = user
    template = Template('{% include "workers/header_notifications.html" %}')
    with CaptureQueriesContext(connection) as ctx:
        html = template.render(Context({"user": user, **unread_context(request)}))
    return html, len(ctx.captured_queries)


def test_header_unread_count_takes_one_query_whatever_the_number(make_user, call):
    user = make_user()
    notify(user, call, 2)
    html_small, small = unread_badge(user)
    notify(user, call, 40, first=2)
    html_large, large = unread_badge(user)
    assert small == large == 1
    assert ">2<" in html_small and ">42<" in html_large


def test_notifications_page_queries_do_not_grow_with_notifications(client, make_user, call):
    user = make_user()
    client.force_login(user)
    notify(user, call, 2)
    with CaptureQueriesContext(connection) as small:
        client.get("/notifications/")
    notify(user, call, 60, first=2)
    with CaptureQueriesContext(connection) as large:
        client.get("/notifications/")
    assert len(small.captured_queries) == len(large.captured_queries)


def test_preferences_list_only_the_kinds_of_the_persons_roles_grouped(
    client, make_user, make_org, programme, grant_role
):
    from accounts.models import ProgrammeRole

    applicant = make_user("only-applicant@example.org")
    make_org(applicant)
    client.force_login(applicant)
    page = client.get("/notifications/preferences/").content.decode()
    assert "As a member of an applicant or grantee organisation" in page and 'name="payment_recorded"' in page
    for other in ('name="review_assigned"', 'name="tranche_due"', 'name="manager_digest"', "As a reviewer"):
        assert other not in page, other

    finance = grant_role(make_user("finance-only@example.org"), programme, ProgrammeRole.Role.FINANCE)
    client.force_login(finance)
    page = client.get("/notifications/preferences/").content.decode()
    assert "As a finance officer" in page and 'name="tranche_approved"' in page and 'name="thread_message"' in page
    assert 'name="call_published"' not in page and 'name="manager_digest"' not in page
    # A person with no role yet sees a sentence, not an empty form.
    client.force_login(make_user("nobody@example.org"))
    assert "None of your roles" in client.get("/notifications/preferences/").content.decode()
