"""The ranking page, the reviewer's dashboard section and the reviews page run the same number
of queries for a few applications and reviews as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.calls.models import Call, CallState
from tests.reviews.bulk import bulk_reviewed


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


@pytest.fixture
def reviewing_call(world):
    world.call.start_review()
    world.call.save()
    return Call.objects.get(pk=world.call.pk)


def test_ranking_page_queries_do_not_grow(world, reviewing_call, client):
    client.force_login(world.manager)
    url = reverse("reviews:review_ranking", args=[reviewing_call.pk])
    client.get(url)  # warm the session
    bulk_reviewed(reviewing_call, world.orgs[0], world.applicants[0], world.reviewers[:2], 3)
    # The first view after rows written in bulk refreshes their assessments and counts the
    # summary; the next ones reuse the summary until the next audited change.
    small_first, _ = queries(client, url)
    small, response = queries(client, url)
    assert "Bulk project 0" in response.content.decode()
    bulk_reviewed(reviewing_call, world.orgs[1], world.applicants[1], world.reviewers[:3], 120, start=3)
    bulk_reviewed(
        reviewing_call,
        world.orgs[2],
        world.applicants[2],
        world.reviewers[:2],
        10,
        start=200,
        state="under_review",
        review_state="accepted",
    )
    large_first, _ = queries(client, url)
    large, response = queries(client, url)
    html = response.content.decode()
    assert "Envelope cut-off" in html and "Page 1 of" in html
    assert small == large and small_first == large_first, (small, large, small_first, large_first)
    assert small <= 12


def test_reviewer_dashboard_and_reviews_page_queries_do_not_grow(world, reviewing_call, client):
    reviewer = world.reviewers[0]
    client.force_login(reviewer)
    bulk_reviewed(
        reviewing_call, world.orgs[0], world.applicants[0], [reviewer], 2, review_state="accepted", state="under_review"
    )
    bulk_reviewed(reviewing_call, world.orgs[0], world.applicants[0], [reviewer], 1, start=10)
    client.get(reverse("dashboard"))
    small = {name: queries(client, reverse(name))[0] for name in ("dashboard", "reviews:review_home")}
    bulk_reviewed(
        reviewing_call,
        world.orgs[1],
        world.applicants[1],
        [reviewer],
        40,
        start=100,
        review_state="accepted",
        state="under_review",
    )
    bulk_reviewed(reviewing_call, world.orgs[1], world.applicants[1], [reviewer], 60, start=300)
    large = {}
    for name in ("dashboard", "reviews:review_home"):
        large[name], response = queries(client, reverse(name))
        assert "Bulk project 100" in response.content.decode()
    assert small == large, (small, large)


def test_assignments_page_queries_do_not_grow(world, reviewing_call, client):
    client.force_login(world.manager)
    url = reverse("reviews:review_call_assignments", args=[reviewing_call.pk])
    client.get(url)  # warm the session
    bulk_reviewed(reviewing_call, world.orgs[0], world.applicants[0], world.reviewers[:2], 2)
    # The first view after a change counts the reviewers' progress; the next ones reuse it.
    small_first, _response = queries(client, url)
    small, _response = queries(client, url)
    bulk_reviewed(reviewing_call, world.orgs[1], world.applicants[1], world.reviewers[:3], 80, start=10)
    large_first, _response = queries(client, url)
    large, _response = queries(client, url)
    assert small == large and small_first == large_first, (small, large, small_first, large_first)
    assert reviewing_call.state == CallState.REVIEWING


def test_review_list_first_page_is_read_in_index_order(world, reviewing_call):
    """The API's review and assignment lists (sorted by due date) read their first page through
    an index in that order with LIMIT, not by sorting every review of the programme."""
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    from applications.review.api.reviews import _reviews_queryset

    bulk_reviewed(reviewing_call, world.orgs[0], world.applicants[0], world.reviewers[:3], 120)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_review")
        cursor.execute("SET LOCAL enable_sort = off")  # any index that gives the order is taken
    for qs in (
        _reviews_queryset(world.manager),
        _reviews_queryset(world.manager).filter(application__call_id=reviewing_call.pk),
    ):
        plan = qs[:50].explain()
        assert "review_due" in plan and "Sort" not in plan, plan


def test_ranking_pages_are_fetched_by_the_database_and_say_where_the_cut_off_falls(world, reviewing_call, client):
    """120 fundable applications of 20,000 in an envelope of 1,100,000: 55 fit, the line is drawn
    above rank 56 on page 2; every page costs the same queries, a deep page shows its own ranks."""
    client.force_login(world.manager)
    url = reverse("reviews:review_ranking", args=[reviewing_call.pk])
    bulk_reviewed(reviewing_call, world.orgs[1], world.applicants[1], world.reviewers[:3], 120)
    Call.objects.filter(pk=reviewing_call.pk).update(envelope=1100000)
    client.get(url)
    first, response = queries(client, url)
    html = response.content.decode()
    assert 'data-testid="cutoff-summary">above rank 56 — <a href="?page=2">page 2</a>' in html
    assert 'data-testid="cutoff"' not in html  # the line itself is on page 2
    second, response = queries(client, url + "?page=2")
    html = response.content.decode()
    assert html.count('data-testid="cutoff"') == 1 and ">56</td>" in html and ">51</td>" in html
    deep, response = queries(client, url + "?page=3")
    html = response.content.decode()
    assert "Page 3 of 3" in html and ">101</td>" in html and ">120</td>" in html and ">100</td>" not in html
    assert html.count('class="below-line"') == 20
    assert first == second == deep, (first, second, deep)
    beyond, response = queries(client, url + "?page=9")
    assert "Page 3 of 3" in response.content.decode()
