"""The API's list of applications runs the same queries for an applicant whose applications
need no permission check of their organisation (decided ones) as for one with many that do."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, ApplicationState
from tests.factories import audited_bulk


def queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/applications/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response.json()


def more_applications(call, org, user, n, state):
    Application.objects.bulk_create(
        [Application(call=call, organisation=org, created_by=user, title=f"Bulk {i}", state=state) for i in range(n)]
    )
    audited_bulk("applications")


def test_applicants_api_list_runs_the_same_queries_at_two_sizes(client, applicant, org, call):
    client.force_login(applicant)
    more_applications(call, org, applicant, 1, ApplicationState.AWARDED)
    client.get("/api/v1/applications/", HTTP_ACCEPT="application/json")  # warm the session
    small, body = queries(client)
    assert body["count"] == 1 and body["results"][0]["available_transitions"] == []
    more_applications(call, org, applicant, 60, ApplicationState.SUBMITTED)
    client.get("/api/v1/applications/", HTTP_ACCEPT="application/json")  # counted once per audited change
    large, body = queries(client)
    assert body["count"] == 61 and "withdraw" in body["results"][0]["available_transitions"]
    assert small == large
