"""Every list page that grows is cut into pages of 50 and runs the same number of queries with a
few rows as with more than a page of them; its pager's links keep the filters."""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Organisation
from applications.models import Application, ApplicationState
from grants.calls.models import Call, CallState
from grants.disbursement.models import Tranche, TrancheState
from reporting.data.models import ExportJob
from reporting.donor.models import DonorReport
from reporting.grantee.models import GranteeReport
from tests.reporting.builders import make_grant


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


def queries(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response.content.decode()


def flat(client, url, grow, data=None):
    """Queries with the rows there are now, then after `grow()`: the same; the page after has a pager."""
    client.get(url, data or {})  # warm the per-user caches
    small, _html = queries(client, url, data)
    grow()
    large, html = queries(client, url, data)
    assert small == large, (url, small, large)
    assert 'class="pager"' in html and 'rel="next"' in html, url
    return html


def more_orgs(n, country="UA"):
    Organisation.objects.bulk_create(
        [
            Organisation(legal_name=f"Bulk CSO {i:04d}", country=country, org_type="ngo", registration_id=f"BULK-{i}")
            for i in range(n)
        ]
    )


def more_applications(call, org, user, n, state=ApplicationState.SUBMITTED):
    Application.objects.bulk_create(
        [Application(call=call, organisation=org, created_by=user, title=f"Bulk {i}", state=state) for i in range(n)]
    )


def more_calls(programme, n, state=CallState.OPEN):
    template = Call.objects.filter(programme=programme).first()
    values = {f.attname: getattr(template, f.attname) for f in Call._meta.concrete_fields if not f.primary_key}
    start = Call.objects.count()
    Call.objects.bulk_create([Call(**{**values, "code": f"bulk{start + i}", "state": state}) for i in range(n)])


def test_organisations_page_is_paginated_searchable_and_flat(client, manager, grantee_org):
    client.force_login(manager)
    url = reverse("accounts:organisation_list")
    html = flat(client, url, lambda: more_orgs(60))
    assert "Bulk CSO 0000" in html and "Bulk CSO 0059" not in html
    _n, html = queries(client, url, {"q": "bulk cso 005", "page": "1"})
    assert "Bulk CSO 0055" in html and "Bulk CSO 0011" not in html and grantee_org.legal_name not in html


def test_applicants_applications_page_is_flat(client, call, grantee_org, grantee):
    client.force_login(grantee)
    url = reverse("applications:application_list")
    more_applications(call, grantee_org, grantee, 2)
    flat(client, url, lambda: more_applications(call, grantee_org, grantee, 60))


def test_grants_grantee_reports_and_waiting_tranches_are_flat(client, call, grantee_org, grantee, manager, finance):
    make_grant(call, grantee_org, grantee, number="EU4I-L-000")
    Tranche.objects.update(state=TrancheState.DUE)  # test data: tranches waiting for approval
    client.force_login(manager)

    def grow():
        for i in range(1, 56):
            make_grant(call, grantee_org, grantee, number=f"EU4I-L-{i:03d}")
        Tranche.objects.update(state=TrancheState.DUE)

    grants = reverse("grants:grant_list")
    reports = reverse("reports:report_list")
    client.get(grants)
    client.get(reports)
    small = [queries(client, grants, {"state": "active"})[0], queries(client, reports, {"state": "scheduled"})[0]]
    client.force_login(finance)
    finance_page = reverse("grants:finance_overview")
    client.get(finance_page)
    small.append(queries(client, finance_page)[0])
    grow()
    large, finance_html = [0, 0], None
    large.append(queries(client, finance_page)[0])
    finance_html = queries(client, finance_page)[1]
    client.force_login(manager)
    large[0], grants_html = queries(client, grants, {"state": "active"})
    large[1], reports_html = queries(client, reports, {"state": "scheduled"})
    assert small == large, (small, large)
    assert "Page 1 of 2" in grants_html and "?state=active&amp;page=2" in grants_html
    assert GranteeReport.objects.filter(state="scheduled").count() > 50
    assert "Page 1 of" in reports_html and "?state=scheduled&amp;page=2" in reports_html
    assert 'rel="next"' in finance_html


def test_calls_pages_are_flat(client, call, funded_programme, manager):
    client.force_login(manager)
    more_calls(funded_programme, 2)
    for url in (reverse("calls:manage_calls"), reverse("reviews:review_home"), reverse("home")):
        html = flat(client, url, lambda: more_calls(funded_programme, 60))
    assert html.count("Advocacy grants") >= 50


def test_donor_reports_and_export_jobs_are_flat(client, manager, funded_programme):
    client.force_login(manager)

    def donor_reports(n):
        DonorReport.objects.bulk_create(
            [
                DonorReport(
                    programme=funded_programme,
                    period_start=date(2025, 1, 1),
                    period_end=date(2025, 12, 31),
                    requested_by=manager,
                    state="ready",
                )
                for _ in range(n)
            ]
        )

    def export_jobs(n):
        ExportJob.objects.bulk_create(
            [ExportJob(user=manager, kind="applications", file_format="xlsx", state="ready") for _ in range(n)]
        )

    donor_reports(2)
    flat(client, reverse("donor:donor_report_list"), lambda: donor_reports(60))
    export_jobs(2)
    flat(client, reverse("data:export_list"), lambda: export_jobs(30))


def test_membership_is_kept_out_of_other_peoples_lists(client, grantee, grantee_org, outsider):
    more_orgs(3)
    client.force_login(outsider)
    html = client.get(reverse("accounts:organisation_list")).content.decode()
    assert grantee_org.legal_name not in html and "Bulk CSO" not in html
    assert Membership.objects.filter(user=outsider).count() == 1


def test_calls_page_counts_drafts_and_applications(call, funded_programme, manager, grantee, grantee_org):
    """The managers' list of calls shows each call's applications and drafts (zero for none)."""
    from grants.calls.selectors import call_list_managed

    more_calls(funded_programme, 1)
    empty = Call.objects.exclude(pk=call.pk).get(programme=funded_programme)
    more_applications(call, grantee_org, grantee, 3)
    more_applications(call, grantee_org, grantee, 2, state=ApplicationState.DRAFT)
    counts = {c.pk: (c.application_count, c.draft_count) for c in call_list_managed(manager)}
    assert counts[call.pk] == (3, 2) and counts[empty.pk] == (0, 0)


def test_calls_page_counts_applications_from_the_index(postgres, call, manager, grantee, grantee_org):
    """On PostgreSQL the calls page's counts are read from the (call, state) index alone, not
    from every application's row (the count of a call of 5,000 applications: 16 ms -> 5 ms)."""
    from grants.calls.selectors import call_list_managed

    more_applications(call, grantee_org, grantee, 30)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE applications_application")  # what autovacuum does
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")  # the table is tiny here
        plan = call_list_managed(manager)[:50].explain()
    # Both counts read an index that holds (call, state) — the (call, state) index or the ranking's,
    # which begins with them — and never the table's rows.
    import re

    assert len(re.findall(r"Index Only Scan using application_\w+ on applications_application", plan)) == 2, plan
    assert not re.search(r"(Seq Scan|Index Scan using \w+|Bitmap Heap Scan) on applications_application", plan), plan


def test_calls_page_counts_follow_each_audited_change(
    funded_programme, manager, grantee, grantee_org, make_org, client
):
    """The calls page's counts are reused between changes, and a draft started (an audited change)
    shows on the next view."""
    import re

    from applications.services import application_start
    from tests.factories import call_full

    call = call_full(funded_programme, code="open1", state=CallState.OPEN, title="Open grants")

    def drafts_shown():
        client.force_login(manager)
        html = client.get(reverse("calls:manage_calls")).content.decode()
        row = html[html.index(call.title) :]
        return [int(n) for n in re.findall(r"<td>(?:<a [^>]*>)?(\d+)(?:</a>)?</td>", row)[:2]]

    more_applications(call, grantee_org, grantee, 2)
    first, second = make_org(grantee), make_org(grantee)
    application_start(actor=grantee, call_id=call.pk, organisation_id=first.pk)  # audited
    assert drafts_shown() == [2, 1]
    assert drafts_shown() == [2, 1]  # reused
    application_start(actor=grantee, call_id=call.pk, organisation_id=second.pk)
    assert drafts_shown() == [2, 2]
