"""A manager sorts a call's applications by any column, either way, with the filters kept, and
the export follows the same order."""

import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, ApplicationState


def submitted(call, org, user, amounts):
    Application.objects.bulk_create(
        [
            Application(
                call=call,
                organisation=org,
                created_by=user,
                title=f"Project {amount}",
                reference=f"REF-{i:04d}",
                requested_amount=Decimal(amount),
                state=ApplicationState.SUBMITTED,
            )
            for i, amount in enumerate(amounts)
        ]
    )


def titles(html):
    return re.findall(r"<td>(?:<bdi>)?Project (\d+)", html)


def test_sorting_by_amount_either_way_keeps_the_filters(client, manager, call, org, applicant):
    submitted(call, org, applicant, [300, 100, 200])
    client.force_login(manager)
    url = reverse("applications:call_applications", args=[call.pk])
    assert titles(client.get(url).content.decode()) == ["300", "100", "200"]  # by reference
    page = client.get(url, {"sort": "requested", "state": "submitted"}).content.decode()
    assert titles(page) == ["100", "200", "300"]
    assert 'aria-sort="ascending"' in page
    # the header's next click sorts the other way and keeps the filter
    link = re.search(r'aria-sort="ascending"><a href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "sort=-requested" in link and "state=submitted" in link
    page = client.get(f"{url}?{link}").content.decode()
    assert titles(page) == ["300", "200", "100"] and 'aria-sort="descending"' in page
    export = client.get(reverse("applications:call_applications_export", args=[call.pk, "csv"]), {"sort": "-requested"})
    body = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert re.findall(r"Project (\d+)", body) == ["300", "200", "100"]


def test_an_unknown_column_keeps_the_default_order(client, manager, call, org, applicant):
    submitted(call, org, applicant, [300, 100])
    client.force_login(manager)
    url = reverse("applications:call_applications", args=[call.pk])
    for bad in ("password", "-", "organisation__created_by__password", "'; drop table"):
        response = client.get(url, {"sort": bad})
        assert response.status_code == 200 and titles(response.content.decode()) == ["300", "100"]


def test_a_sorted_page_runs_the_same_queries_at_two_sizes(client, manager, call, org, applicant):
    client.force_login(manager)
    url = reverse("applications:call_applications", args=[call.pk])
    submitted(call, org, applicant, [1, 2])
    client.get(url, {"sort": "-submitted"})

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"sort": "-submitted"}).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    Application.objects.filter(call=call).delete()
    submitted(call, org, applicant, range(1, 81))
    assert count() == small


def test_the_grants_list_sorts_by_amount_and_the_filter_keeps_the_order(client, call, manager, make_user, make_org):
    from tests.reporting.builders import make_grant

    for i, amount in enumerate(["30000", "10000", "20000"]):
        owner = make_user(email=f"g{i}@example.org")
        make_grant(call, make_org(owner), owner, amount=amount, number=f"EU4I-S-{i}")
    client.force_login(manager)
    page = client.get(reverse("grants:grant_list"), {"sort": "-awarded"}).content.decode()
    assert re.findall(r"EU4I-S-(\d)", page) == ["0", "2", "1"]
    assert '<input type="hidden" name="sort" value="-awarded">' in page
