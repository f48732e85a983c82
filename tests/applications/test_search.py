"""Full-text search of the managers' list of a call's applications and of the API list (`?q=`):
organisation name, reference, title and summary; every word, as a prefix. PostgreSQL answers from
GIN indexes; SQLite falls back to `icontains`. The filters stay in the URL and the pager's links."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ORGANISATION_SEARCH, Organisation, ProgrammeRole
from applications.models import APPLICATION_SEARCH, Application, ApplicationState
from applications.search import application_search
from grants.calls.models import CallState
from tests.factories import application_in_state, audited_bulk, call_full


@pytest.fixture
def scene(db, make_user, make_org, programme, grant_role):
    manager = grant_role(make_user("manager@eu4i.org"), programme, ProgrammeRole.Role.MANAGER)
    call = call_full(programme, code="adv", state=CallState.CLOSED)
    owner = make_user("owner@cso.org")
    watch = make_org(owner, country="UA", legal_name="Chernihiv Civic Watch")
    media = make_org(make_user("editor@media.org"), country="AM", legal_name="Sevan Independent Media")
    budgets = application_in_state(call, watch, owner, ApplicationState.SUBMITTED, title="Open municipal budgets")
    Application.objects.filter(pk=budgets.pk).update(summary="Participatory budgeting in three hromadas.")
    radio = application_in_state(call, media, media.memberships.get().user, ApplicationState.SUBMITTED, title="Radio")
    return {"manager": manager, "call": call, "budgets": budgets, "radio": radio, "watch": watch}


def found(client, call, **params):
    response = client.get(reverse("applications:call_applications", args=[call.pk]), params)
    assert response.status_code == 200
    html = response.content.decode()
    return {a for a in Application.objects.all() if f"/applications/{a.pk}/" in html}, html


def test_managers_search_organisation_reference_title_and_summary(scene, client):
    client.force_login(scene["manager"])
    call, budgets, radio = scene["call"], scene["budgets"], scene["radio"]
    budgets.refresh_from_db()
    assert found(client, call, q="chernihiv")[0] == {budgets}  # organisation name
    assert found(client, call, q="Sevan media")[0] == {radio}  # every word, in any order
    assert found(client, call, q="municip")[0] == {budgets}  # title, by prefix
    assert found(client, call, q="participatory hromadas")[0] == {budgets}  # summary
    assert found(client, call, q=budgets.reference)[0] == {budgets}  # reference
    assert found(client, call, q="chernihiv radio")[0] == set()
    assert found(client, call, q="")[0] == {budgets, radio}
    apps, html = found(client, call, q="media", state="submitted")
    assert apps == {radio} and 'value="media"' in html  # the search stays in the form


def test_search_keeps_to_the_filters_and_pager_and_runs_constant_queries(scene, client):
    client.force_login(scene["manager"])
    call, watch = scene["call"], scene["watch"]
    url = reverse("applications:call_applications", args=[call.pk])
    params = {"q": "bulk", "state": "submitted"}

    def bulk(start, n):
        Application.objects.bulk_create(
            [
                Application(
                    call=call,
                    organisation=watch,
                    created_by=scene["budgets"].created_by,
                    title=f"Bulk project {start + i}",
                    reference=f"ADV-{start + i:05d}",
                    state=ApplicationState.SUBMITTED,
                )
                for i in range(n)
            ]
        )
        audited_bulk("applications")

    bulk(0, 3)
    client.get(url, params)
    with CaptureQueriesContext(connection) as small:
        client.get(url, params)
    bulk(100, 80)
    client.get(url, params)  # the count is kept until the next audited change: compare reuse with reuse
    with CaptureQueriesContext(connection) as large:
        html = client.get(url, params).content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert "?q=bulk&amp;state=submitted&amp;page=2" in html
    assert "Open municipal budgets" not in html


def test_api_list_searches_with_q(scene):
    api = APIClient()
    api.force_authenticate(scene["manager"])
    body = api.get("/api/v1/applications/", {"q": "sevan", "call": scene["call"].pk}).json()
    assert [row["id"] for row in body["results"]] == [scene["radio"].pk] and body["count"] == 1
    assert api.get("/api/v1/applications/", {"q": "nothing-like-it"}).json()["count"] == 0
    # An applicant searches only what they may see.
    applicant = APIClient()
    applicant.force_authenticate(scene["budgets"].created_by)
    assert applicant.get("/api/v1/applications/", {"q": "sevan"}).json()["count"] == 0


def test_postgresql_answers_from_the_gin_indexes(scene, postgres_only):
    """Each side of the search is the very expression its GIN index is built on, so PostgreSQL
    can answer it from the index (the planner is told to avoid scanning whole tables, as it
    would on a table of 100,000 applications)."""
    tsquery = SearchQuery("'budg':* & 'chern':*", config="simple", search_type="raw")
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            for name, qs in {
                "application_search": Application.objects.alias(text=APPLICATION_SEARCH).filter(text=tsquery),
                "organisation_search": Organisation.objects.alias(text=ORGANISATION_SEARCH).filter(text=tsquery),
            }.items():
                sql, params = qs.values("pk").query.sql_with_params()
                cursor.execute(f"EXPLAIN {sql}", params)
                plans[name] = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
    for name, plan in plans.items():
        assert f"Bitmap Index Scan on {name}" in plan, plan
    assert application_search(Application.objects.all(), "budg municip").get() == scene["budgets"]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes exist on PostgreSQL only; SQLite searches with icontains")
