"""The API: same permissions as the pages — 404 when invisible, 403 by role, 409 by state — and
every object shows its state and the transitions the caller may run now."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services
from applications.models import ApplicationState
from tests.applications.conftest import PDF, upload


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_applicant_creates_reads_and_updates_a_draft(api, applicant, org, call):
    as_user(api, applicant)
    response = api.post("/api/v1/applications/", {"call": call.pk, "organisation": org.pk}, format="json")
    assert response.status_code == 201
    app = response.json()
    assert app["state"] == "draft" and app["available_transitions"] == ["submit", "withdraw"] and app["version"] == 1
    q = call.questions.first()
    response = api.patch(
        f"/api/v1/applications/{app['id']}/",
        {"version": 1, "title": "Via API", "answers": {str(q.pk): "Answer"}},
        format="json",
    )
    assert response.status_code == 200 and response.json()["title"] == "Via API" and response.json()["version"] == 2
    # Starting again returns the same application (200, not a second draft).
    again = api.post("/api/v1/applications/", {"call": call.pk, "organisation": org.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == app["id"]


def test_stale_version_is_409_and_overwrites_nothing(api, applicant, colleague, draft):
    services.application_autosave(actor=colleague, application_id=draft.pk, version=1, fields={"title": "Taras"})
    response = as_user(api, applicant).patch(
        f"/api/v1/applications/{draft.pk}/", {"version": 1, "title": "Olena"}, format="json"
    )
    assert response.status_code == 409 and response.json()["conflicts"] == {"title": "Taras"}
    draft.refresh_from_db()
    assert draft.title == "Taras"


def test_field_hashes_allow_a_per_field_merge(api, applicant, colleague, draft):
    hashes = as_user(api, applicant).get(f"/api/v1/applications/{draft.pk}/").json()["field_hashes"]
    services.application_autosave(actor=colleague, application_id=draft.pk, version=1, fields={"title": "Taras"})
    response = api.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"version": 1, "summary": "Olena", "base": {"summary": hashes["summary"]}},
        format="json",
    )
    assert response.status_code == 200 and response.json()["title"] == "Taras" and response.json()["summary"] == "Olena"


def test_budget_lines_and_attachments(api, applicant, draft):
    as_user(api, applicant)
    heading = draft.call.budget_headings.first()
    response = api.post(
        f"/api/v1/applications/{draft.pk}/budget-lines/",
        {"heading": heading.pk, "description": "Staff", "units": "12", "unit_cost": "2500"},
        format="json",
    )
    assert response.status_code == 201 and response.json()[0]["total"] == "30000.00"
    response = api.put(
        f"/api/v1/applications/{draft.pk}/budget-lines/",
        {"version": 2, "lines": [{"heading": heading.pk, "description": "Staff", "units": "6", "unit_cost": "2500"}]},
        format="json",
    )
    assert response.status_code == 200 and [l["total"] for l in response.json()] == ["15000.00"]
    response = api.put(f"/api/v1/applications/{draft.pk}/budget-lines/", {"version": 1, "lines": []}, format="json")
    assert response.status_code == 409
    response = api.post(
        f"/api/v1/applications/{draft.pk}/attachments/", {"file": upload("s.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    attachment = response.json()
    download = api.get(attachment["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    bad = api.post(
        f"/api/v1/applications/{draft.pk}/attachments/", {"file": upload("s.pdf", b"MZ..")}, format="multipart"
    )
    assert bad.status_code == 400 and "not one of the accepted formats" in bad.json()["file"][0]
    assert api.delete(attachment["download_url"]).status_code == 204


def test_submit_lists_what_is_missing_then_409_when_submitted(api, applicant, draft):
    as_user(api, applicant)
    response = api.post(f"/api/v1/applications/{draft.pk}/submit/")
    assert response.status_code == 400 and "Give the project a title." in response.json()["non_field_errors"]
    from tests.applications.conftest import fill_complete

    fill_complete(applicant, draft)
    response = api.post(f"/api/v1/applications/{draft.pk}/submit/")
    body = response.json()
    assert response.status_code == 200 and body["state"] == "submitted" and body["reference"] and body["receipt_sha256"]
    assert body["available_transitions"] == ["withdraw"]
    again = api.post(f"/api/v1/applications/{draft.pk}/submit/")
    assert again.status_code == 409 and body["reference"] in again.json()["detail"]


def test_transition_status_codes(api, applicant, manager, other_applicant, submitted):
    url = f"/api/v1/applications/{submitted.pk}"
    # 404 for someone who may not see it
    assert as_user(api, other_applicant).post(f"{url}/mark_eligible/", {}, format="json").status_code == 404
    assert api.get(f"{url}/").status_code == 404
    assert api.get(f"{url}/attachments/").status_code == 404
    # 403 for the applicant (role), 409 for a transition the state forbids
    assert as_user(api, applicant).post(f"{url}/mark_eligible/", {"checklist": {}}, format="json").status_code == 403
    assert api.post(f"{url}/answer_clarification/", {"answer": "x"}, format="json").status_code == 409
    as_user(api, manager)
    assert api.post(f"{url}/submit/").status_code == 403
    checklist = {k: True for k, _l in services.CHECKLIST}
    response = api.post(f"{url}/mark_eligible/", {"checklist": checklist}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "eligible"
    assert api.post(f"{url}/mark_ineligible/", {"reason": "x"}, format="json").status_code == 409


def test_manager_requests_clarification_and_applicant_answers(api, applicant, manager, submitted):
    url = f"/api/v1/applications/{submitted.pk}"
    due = (timezone.now() + timedelta(days=3)).isoformat()
    response = as_user(api, manager).post(
        f"{url}/request_clarification/", {"question": "Which regions?", "due": due}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == ApplicationState.CLARIFICATION_REQUESTED
    response = as_user(api, applicant).post(f"{url}/answer_clarification/", {"answer": "Three"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    response = api.post(f"{url}/withdraw/", {"reason": "No longer needed"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"


def test_extend_deadline_through_the_api(api, applicant, manager, draft):
    url = f"/api/v1/applications/{draft.pk}/extend_deadline/"
    until = (timezone.now() + timedelta(days=60)).isoformat()
    assert as_user(api, applicant).post(url, {"until": until, "reason": "x"}, format="json").status_code == 403
    response = as_user(api, manager).post(url, {"until": until, "reason": "Outage"}, format="json")
    assert response.status_code == 200 and response.json()["deadline_extended_to"]
    assert api.post(url, {"until": until}, format="json").status_code == 400


def test_list_shows_only_visible_applications(api, applicant, other_applicant, other_org, call, draft):
    other, _ = services.application_start(actor=other_applicant, call_id=call.pk, organisation_id=other_org.pk)
    ids = [a["id"] for a in as_user(api, applicant).get("/api/v1/applications/").json()["results"]]
    assert ids == [draft.pk]


def test_unauthenticated_is_refused(api, draft):
    assert api.get(f"/api/v1/applications/{draft.pk}/").status_code in (401, 403)


def test_schema_documents_the_endpoints(api, applicant):
    response = as_user(api, applicant).get("/api/schema/?format=json")
    paths = response.json()["paths"]
    for path in [
        "/api/v1/applications/",
        "/api/v1/applications/{id}/submit/",
        "/api/v1/applications/{id}/budget-lines/",
        "/api/v1/applications/{id}/attachments/",
        "/api/v1/applications/{id}/attachments/{attachment_id}/",
        "/api/v1/applications/{id}/extend_deadline/",
        "/api/v1/calls/",
        "/api/v1/calls/{id}/publish/",
    ]:
        assert path in paths, path
