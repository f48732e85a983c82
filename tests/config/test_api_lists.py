"""Every API list is paginated (`count`, `next`, `previous`, `results`) and says so in the
OpenAPI schema; the few lists bounded by nature (one application's budget and documents) are
plain arrays and the schema does not call them paginated."""

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User

BOUNDED = {"/api/v1/applications/{id}/attachments/", "/api/v1/applications/{id}/budget-lines/"}


def schema_lists(client):
    schema = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    paginated, plain = set(), set()
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        body = operations["get"]["responses"].get("200", {}).get("content", {}).get("application/json", {})
        ref = body.get("schema", {}).get("$ref", "")
        if body.get("schema", {}).get("type") == "array":
            plain.add(path)
        elif ref.split("/")[-1].startswith("Paginated"):
            paginated.add(path)
    return paginated, plain


def test_every_api_list_is_paginated_and_the_schema_says_which(client, db):
    paginated, plain = schema_lists(client)
    assert plain == BOUNDED
    assert "/api/v1/assignments/progress/" in paginated
    admin = User.objects.create_superuser(email="root@example.org", password="correct-horse-battery")
    api = APIClient()
    api.force_authenticate(admin)
    for path in sorted(paginated):
        if "{" in path:
            continue
        response = api.get(path)
        if path == "/api/v1/assignments/progress/":
            assert response.status_code == 400  # names the call: ?call=<id>
            continue
        assert response.status_code == 200, (path, response.status_code)
        assert set(response.json()) >= {"count", "next", "previous", "results"}, path
