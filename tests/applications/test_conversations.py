"""An application's thread: every clarification round stays readable by the applicant, an answer
can carry files, messages reach the other side, reviewers and other organisations get 404 (pages
and API), the inbox lists newest unread first in a constant number of queries, and one message
reaches many organisations, each in its own thread."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ProgrammeRole
from applications import services
from applications.conversations.models import Message, Thread
from applications.conversations.services import messages_bulk_send
from applications.models import ApplicationState
from applications.review.models import Review, ReviewState
from audit.models import AuditEvent
from tests.applications.conftest import PDF, upload
from tests.factories import application_in_state
from workers.models import Notification

DUE = timezone.now() + timedelta(days=7)


def _ask(manager, app, question):
    return services.application_request_clarification(actor=manager, application_id=app.pk, question=question, due=DUE)


@pytest.fixture
def reviewer(make_user, programme, grant_role, submitted):
    user = grant_role(make_user("reviewer@example.org"), programme, ProgrammeRole.Role.REVIEWER)
    Review.objects.create(application=submitted, reviewer=user, state=ReviewState.ACCEPTED, due_at=DUE)
    return user


def test_every_clarification_round_stays_in_the_thread(client, manager, applicant, submitted):
    _ask(manager, submitted, "Which regions exactly?")
    client.force_login(applicant)
    response = client.post(
        f"/applications/{submitted.pk}/messages/",
        {"body": "Kharkiv and Sumy; the map is attached.", "answers": "on", "upload": [upload("map.pdf", PDF)]},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert submitted.clarification_answer == "Kharkiv and Sumy; the map is attached."
    _ask(manager, submitted, "And the signed statute, please.")

    page = client.get(f"/applications/{submitted.pk}/messages/").content.decode()
    for text in [
        "Which regions exactly?",
        "Kharkiv and Sumy; the map is attached.",
        "map.pdf",
        "And the signed statute",
    ]:
        assert text in page, text
    assert page.index("Which regions exactly?") < page.index("And the signed statute")
    assert page.count("Clarification requested") >= 2 and "Clarification answered" in page
    # The file is served to those who may read the thread, and to no one else.
    message = Message.objects.get(event="clarification_answered")
    attachment = message.attachments.get()
    url = f"/messages/application/{submitted.pk}/files/{attachment.pk}/"
    assert b"".join(client.get(url).streaming_content) == PDF
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_a_message_reaches_the_other_side_and_is_audited_without_its_text(manager, applicant, submitted):
    from applications.conversations.services import message_post

    message_post(actor=applicant, application_id=submitted.pk, scope="application", body="A question on eligibility")
    assert Notification.objects.filter(kind="thread_message", email=manager.email).exists()
    assert not Notification.objects.filter(kind="thread_message", email=applicant.email).exists()
    event = AuditEvent.objects.get(action="message_post")
    assert "eligibility" not in str(event.data) and event.data["files"] == 0
    message_post(actor=manager, application_id=submitted.pk, scope="application", body="Yes, you are eligible.")
    assert Notification.objects.filter(kind="thread_message", email=applicant.email).exists()


def test_reviewers_and_other_organisations_never_see_the_thread(
    client, manager, applicant, other_applicant, reviewer, submitted
):
    _ask(manager, submitted, "Which regions exactly?")
    for user in (reviewer, other_applicant):
        client.force_login(user)
        assert client.get(f"/applications/{submitted.pk}/messages/").status_code == 404
        assert client.post(f"/applications/{submitted.pk}/messages/", {"body": "hi"}).status_code == 404
        assert client.get(f"/api/v1/applications/{submitted.pk}/messages/").status_code == 404
        assert client.post(f"/api/v1/applications/{submitted.pk}/messages/", {"body": "hi"}).status_code == 404
        assert client.get("/api/v1/threads/").json()["results"] == []
        assert "Which regions" not in client.get("/messages/").content.decode()
    # The reviewer still reads the application itself (blind review is about identities, not this).
    assert Message.objects.filter(author=reviewer).count() == 0


def test_the_api_reads_and_writes_the_thread(client, manager, applicant, submitted):
    client.force_login(applicant)
    response = client.post(
        f"/api/v1/applications/{submitted.pk}/messages/",
        {"body": "Our budget question", "files": [upload("b.pdf", PDF)]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["attachments"][0]["original_name"] == "b.pdf"
    refused = client.post(
        f"/api/v1/applications/{submitted.pk}/messages/", {"body": ""}, content_type="application/json"
    )
    assert refused.status_code == 400 and "body" in refused.json()
    client.force_login(manager)
    listed = client.get("/api/v1/threads/").json()["results"]
    assert listed[0]["unread"] is True and listed[0]["application"] == submitted.pk
    messages = client.get(f"/api/v1/applications/{submitted.pk}/messages/").json()["results"]
    assert [m["body"] for m in messages] == ["Our budget question"] and messages[0]["from_staff"] is False


def test_the_inbox_shows_unread_first_in_constant_queries(client, manager, applicant, org, call, make_org):
    from applications.conversations.services import message_post

    def threads(n):
        for i in range(n):
            other = make_org(applicant)
            app = application_in_state(call, other, applicant, ApplicationState.SUBMITTED)
            message_post(actor=applicant, application_id=app.pk, scope="application", body=f"Hello {i}")

    client.force_login(manager)
    threads(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/messages/").status_code == 200
    threads(8)
    with CaptureQueriesContext(connection) as large:
        page = client.get("/messages/").content.decode()
    assert len(small) == len(large)
    assert page.count("unread") >= 10
    first = Thread.objects.order_by("pk").first()
    client.get(f"/applications/{first.application_id}/messages/")  # read
    page = client.get("/messages/").content.decode()
    others = Thread.objects.exclude(pk=first.pk)
    assert all(page.index(first.subject.split(" ")[0]) > page.index(t.subject.split(" ")[0]) for t in others)


def test_a_bulk_message_reaches_each_organisation_in_its_own_thread(
    client, manager, applicant, other_applicant, org, other_org, call, make_org, make_user
):
    third_user = make_user("third@example.org")
    third = make_org(third_user)
    apps = [
        application_in_state(call, o, u, ApplicationState.SUBMITTED)
        for o, u in ((org, applicant), (other_org, other_applicant), (third, third_user))
    ]
    client.force_login(applicant)
    assert client.get("/messages/send/").status_code == 404
    client.force_login(manager)
    response = client.post("/messages/send/", {"to": "call", "call": call.pk, "body": "The info session is on Friday."})
    assert response.status_code == 302
    assert Thread.objects.filter(application__in=apps).count() == 3
    for user, app in ((applicant, apps[0]), (other_applicant, apps[1]), (third_user, apps[2])):
        client.force_login(user)
        assert "The info session is on Friday." in client.get(f"/applications/{app.pk}/messages/").content.decode()
        assert Notification.objects.filter(kind="thread_message", email=user.email).exists()
    # Another organisation's applicant is refused as a sender, one application at a time.
    result = messages_bulk_send(actor=applicant, application_ids=[a.pk for a in apps], scope="application", body="x")
    assert result.done == [apps[0]] or result.done == []
    assert len(result.refused) >= 2


def test_a_selection_from_the_list_gets_the_message(client, manager, applicant, org, other_org, other_applicant, call):
    one = application_in_state(call, org, applicant, ApplicationState.SUBMITTED)
    two = application_in_state(call, other_org, other_applicant, ApplicationState.SUBMITTED)
    client.force_login(manager)
    response = client.post(
        f"/manage/calls/{call.pk}/applications/message/", {"ids": [one.pk], "message": "Only for you."}
    )
    assert response.status_code == 302
    assert Message.objects.filter(thread__application=one, body="Only for you.").exists()
    assert not Message.objects.filter(thread__application=two).exists()
    client.force_login(applicant)
    assert (
        client.post(f"/manage/calls/{call.pk}/applications/message/", {"ids": [one.pk], "message": "x"}).status_code
        == 404
    )


def test_the_applications_export_carries_its_thread(client, manager, applicant, submitted):
    import csv
    import io

    _ask(manager, submitted, "Which regions exactly?")
    client.force_login(applicant)
    response = client.get(f"/applications/{submitted.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    asked = [row for row in rows if row[0].startswith("Clarification requested")]
    assert asked and "Which regions exactly?" in asked[0][1]
