"""Security headers: pages carry the site's Content-Security-Policy; JSON answers (autosave,
the API) a fixed one under which nothing loads or frames them. Both are nosniff."""

import json

from config.csp import JSON_POLICY


def test_a_page_carries_the_sites_policy(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_autosave_answer_lets_nothing_load_or_frame_it(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps({"version": draft.version, "fields": {"title": "Clean water"}}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["applied"] == ["title"]
    assert response["Content-Security-Policy"] == JSON_POLICY == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_expired_session_answer_is_json_with_the_same_policy(client, draft):
    response = client.post(f"/applications/{draft.pk}/autosave/", "{}", content_type="application/json")
    assert response.status_code == 401 and "session has expired" in response.json()["detail"]
    assert response["Content-Security-Policy"] == JSON_POLICY


def test_api_answers_carry_the_json_policy(client, applicant, draft):
    client.force_login(applicant)
    response = client.get(f"/api/v1/applications/{draft.pk}/")
    assert response.status_code == 200 and response.json()["id"] == draft.pk
    assert response["Content-Security-Policy"] == JSON_POLICY
