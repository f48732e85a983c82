"""Bad input never answers 500: an id that is not one is 404 on every path, a permission is checked
before a lookup can fail, OPTIONS answers on every path, and the schema says which errors each
operation gives (and paginates only what is paginated)."""

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import ProgrammeRole
from accounts.tokens import token_create
from grants.calls.models import Programme


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, days=None)[1]}")
    return client


@pytest.fixture
def manager(make_user, programme, grant_role):
    return grant_role(make_user("manager@eu4i.org"), programme, ProgrammeRole.Role.MANAGER)


@pytest.fixture
def applicant(make_user, make_org):
    user = make_user("owner@cso.org")
    make_org(user)
    return user


@pytest.fixture
def schema(manager):
    return client_for(manager).get("/api/schema/", {"format": "json"}).json()


@pytest.mark.parametrize("path", ["/api/v1/decisions/abc/", "/api/v1/rankings/abc/"])
def test_an_id_that_is_not_one_is_404_for_every_role(path, manager, applicant):
    for user in (manager, applicant):
        response = client_for(user).get(path)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_every_path_answers_404_in_json_for_an_id_that_is_not_one(schema, manager):
    api = client_for(manager)
    for path, operations in schema["paths"].items():
        if "{" not in path:
            continue
        url = re.sub(r"\{[^}]+\}", "abc", path)
        for method in operations:
            response = getattr(api, method)(url)
            assert response.status_code == 404, (method, url, response.status_code)
            assert response["Content-Type"] == "application/json" and "detail" in response.json(), url


def test_inviting_a_reviewer_to_an_unknown_programme_is_refused_not_a_crash(manager, applicant):
    unknown = Programme.objects.order_by("-pk").first().pk + 100
    for user in (manager, applicant):
        response = client_for(user).post(
            "/api/v1/reviewers/", {"email": "new@experts.org", "programme": unknown}, format="json"
        )
        assert response.status_code == 403 and response.json() == {"detail": "You may not do this."}


def test_inviting_to_a_programme_someone_else_manages_is_403_as_for_an_unknown_one(manager, applicant, programme):
    response = client_for(applicant).post(
        "/api/v1/reviewers/", {"email": "new@experts.org", "programme": programme.pk}, format="json"
    )
    assert response.status_code == 403 and response.json() == {"detail": "You may not do this."}


def test_options_answers_on_every_path(schema, manager, applicant, programme):
    for user in (manager, applicant):
        api = client_for(user)
        for path in schema["paths"]:
            url = re.sub(r"\{[^}]+\}", str(programme.pk), path)
            response = api.options(url)
            assert response.status_code in (200, 404), (url, response.status_code)
    response = client_for(applicant).options("/api/v1/notifications/preferences/")
    assert response.status_code == 200 and response.json()["name"]


def test_the_schema_lists_the_error_answers_of_each_operation(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "409"} <= codes, (method, path)
            for code in codes & {"401", "403", "404", "409"}:
                if code == "409" and path == "/api/v1/applications/{id}/":
                    continue  # a stale version: the conflicting fields, not only a detail
                content = operation["responses"][code]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    progress = schema["paths"]["/api/v1/assignments/progress/"]["get"]
    assert "400" in progress["responses"] and progress["parameters"][0]["name"] == "call"


def test_only_list_actions_are_described_as_paginated(schema):
    budget = schema["paths"]["/api/v1/applications/{id}/budget-lines/"]["get"]["responses"]["200"]
    assert budget["content"]["application/json"]["schema"]["type"] == "array"
    listed = schema["paths"]["/api/v1/applications/"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["$ref"].endswith("PaginatedApplicationList")
