"""An organisation with a grant finds it first on its dashboard: amount, paid so far, the next
tranche and what releases it, the next report and its due date, and the action to take."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.agreements.models import Grant, GrantState
from reporting.grantee.models import GranteeReport, GranteeReportState
from tests.reporting.builders import make_grant


def dashboard(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_the_grant_leads_the_grantees_dashboard(client, call, grantee_org, grantee, make_user, make_org):
    grant = make_grant(call, grantee_org, grantee, amount="40000", title="Відкриті закупівлі")
    client.force_login(grantee)
    html, _n = dashboard(client)
    assert html.index('id="dash-grantee"') < html.index('id="dash-applicant"')
    section = html[html.index('id="dash-grantee"') : html.index('id="dash-applicant"')]
    assert grant.number in section and "Відкриті закупівлі" in section
    # in the grantee's language (Ukrainian here): amounts as Ukrainian writes them
    assert re.search(r"<dd>40\s000,00 EUR</dd>", section) and "Уже виплачено" in section
    if grant.state == GrantState.DRAFT:
        assert reverse("grants:grant_detail", args=[grant.pk]) in section
    report = GranteeReport.objects.filter(grant=grant).order_by("due_on").first()
    if report is not None and grant.state == GrantState.ACTIVE:
        assert reverse("reports:report_detail", args=[report.pk]) in section
    # a member of another organisation sees none of it
    other_applicant = make_user(email="other@example.org")
    make_org(other_applicant)
    client.force_login(other_applicant)
    html, _n = dashboard(client)
    assert grant.number not in html and 'id="dash-grantee"' not in html


def test_a_report_sent_back_is_the_action(client, call, grantee_org, grantee):
    grant = make_grant(call, grantee_org, grantee)
    Grant.objects.filter(pk=grant.pk).update(state=GrantState.ACTIVE)
    report = GranteeReport.objects.filter(grant=grant).order_by("due_on").first() or GranteeReport.objects.create(
        grant=grant, kind="interim", due_on=grant.starts_on
    )
    GranteeReport.objects.filter(pk=report.pk).update(state=GranteeReportState.CHANGES_REQUESTED)
    type(grantee).objects.filter(pk=grantee.pk).update(language="en")
    client.force_login(grantee)
    html, _n = dashboard(client)
    section = html[html.index('id="dash-grantee"') :]
    assert re.search(rf'href="{reverse("reports:report_detail", args=[report.pk])}">Correct the report<', section)


def test_the_grantee_section_runs_the_same_queries_for_one_grant_or_many(client, call, grantee_org, grantee):
    make_grant(call, grantee_org, grantee, number="EU4I-Q-0")
    client.force_login(grantee)
    dashboard(client)
    _html, one = dashboard(client)
    for i in range(1, 6):
        make_grant(call, grantee_org, grantee, number=f"EU4I-Q-{i}")
    html, many = dashboard(client)
    assert html.count('class="panel grant-glance"') == 6 and one == many
