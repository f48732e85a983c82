"""The reviewer picker on a manager's review page searches instead of listing the whole pool:
a JSON endpoint for suggestions and a search that works without JavaScript. Both offer only
reviewers the assignment service would accept, at most 20, with a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, ProgrammeRole
from applications.models import Application
from applications.review import services
from applications.review.models import Review, ReviewerProfile
from applications.review.services.assignment import _assignment_problem
from tests.factories import audited_bulk


def suggestions(client, app, q=""):
    response = client.get(reverse("reviews:review_application_reviewers", args=[app.pk]), {"q": q})
    assert response.status_code == 200, response.status_code
    return response.json()["results"]


def add_reviewers(programme, make_user, n, start=0, **profile):
    users = [make_user(f"panel{start + i:04d}@experts.org") for i in range(n)]
    ProgrammeRole.objects.bulk_create(
        [ProgrammeRole(user=u, programme=programme, role=ProgrammeRole.Role.REVIEWER) for u in users]
    )
    ReviewerProfile.objects.bulk_create(
        [ReviewerProfile(user=u, expertise=profile.get("expertise", ["media"]), countries=["MD"]) for u in users]
    )
    audited_bulk("reviewers")  # as reviewer_invite would have
    return users


def test_suggestions_leave_out_whoever_the_assignment_service_refuses(world, client, make_user):
    app = world.apps[0]  # Civic Watch UA
    world.call.reviewers_not_from_applicant_country = True
    world.call.save(update_fields=["reviewers_not_from_applicant_country"])
    assigned, conflicted, inactive, from_ua, member = world.reviewers[0], world.reviewers[1], None, None, None
    services.review_assign(actor=world.manager, application_id=app.pk, reviewer_id=assigned.pk)
    review = services.review_assign(actor=world.manager, application_id=app.pk, reviewer_id=conflicted.pk)
    services.review_declare_conflict(actor=conflicted, review_id=review.pk, reason="My sister runs it.")
    inactive = world.reviewers[3]
    services.reviewer_set_active(
        actor=world.manager, programme_id=world.programme.pk, user_id=inactive.pk, active=False
    )
    from_ua = world.reviewers[2]  # profile countries ["UA"]
    member = make_user("member@cso.org")
    ProgrammeRole.objects.create(user=member, programme=world.programme, role=ProgrammeRole.Role.REVIEWER)
    Membership.objects.create(user=member, organisation=app.organisation, role="member")
    free = make_user("free@experts.org")  # no profile at all: active by default
    ProgrammeRole.objects.create(user=free, programme=world.programme, role=ProgrammeRole.Role.REVIEWER)
    outsider = make_user("outsider@experts.org")  # a reviewer of no programme the call is in
    client.force_login(world.manager)

    offered = {r["id"] for r in suggestions(client, app)}
    assert offered == {free.pk}
    # The same rules as the service, reviewer by reviewer.
    application = Application.objects.select_related("call", "organisation").get(pk=app.pk)
    existing = dict(Review.objects.filter(application=app).values_list("reviewer_id", "state"))
    members = set(Membership.objects.filter(organisation=app.organisation).values_list("user_id", flat=True))
    for user in [*world.reviewers, member, free]:
        problem = _assignment_problem(
            application.call,
            application.organisation,
            user.pk,
            ReviewerProfile.objects.filter(user=user).first(),
            members,
            existing,
        )
        assert (problem is None) == (user.pk in offered), (user.email, problem)
    assert outsider.pk not in offered
    # Another application of the same call: the UA reviewer may review the Armenian one.
    assert from_ua.pk in {r["id"] for r in suggestions(client, world.apps[1])}


def test_suggestions_search_name_email_expertise_and_country(world, client, make_user):
    app = world.apps[0]
    anna = make_user("anna.k@think.org")
    type(anna).objects.filter(pk=anna.pk).update(full_name="Anna Kovalenko")
    ProgrammeRole.objects.create(user=anna, programme=world.programme, role=ProgrammeRole.Role.REVIEWER)
    ReviewerProfile.objects.create(user=anna, expertise=["public procurement"], countries=["MD"])
    client.force_login(world.manager)
    assert [r["id"] for r in suggestions(client, app, "kovalenko")] == [anna.pk]
    assert [r["id"] for r in suggestions(client, app, "think.org")] == [anna.pk]
    assert [r["id"] for r in suggestions(client, app, "Procurement")] == [anna.pk]
    in_md = {r["id"] for r in suggestions(client, app, "md")}
    assert in_md == {anna.pk, world.reviewers[3].pk}
    assert suggestions(client, app, "anna procurement")[0]["email"] == "anna.k@think.org"
    assert suggestions(client, app, "nobody-like-this") == []


def test_at_most_twenty_and_constant_queries(world, client, make_user):
    app = world.apps[0]
    client.force_login(world.manager)
    page = reverse("reviews:review_application", args=[app.pk])
    endpoint = reverse("reviews:review_application_reviewers", args=[app.pk])
    add_reviewers(world.programme, make_user, 3)
    client.get(page)

    def count(url, data=None):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, data or {})
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    small = [count(page)[0], count(page, {"q": "panel"})[0], count(endpoint, {"q": "panel"})[0]]
    add_reviewers(world.programme, make_user, 120, start=100)
    large_page, response = count(page)
    assert "panel0150@experts.org" not in response.content.decode()  # nobody is listed until searched
    large_search, response = count(page, {"q": "panel"})
    assert response.content.decode().count('name="reviewer"') == 20
    large_json, response = count(endpoint, {"q": "panel"})
    assert len(response.json()["results"]) == 20
    assert small == [large_page, large_search, large_json], (small, large_page, large_search, large_json)


def test_without_javascript_search_then_assign(world, client):
    app, reviewer = world.apps[1], world.reviewers[3]  # an Armenian application, a Moldovan reviewer
    client.force_login(world.manager)
    page = client.get(reverse("reviews:review_application", args=[app.pk])).content.decode()
    assert 'name="q"' in page and 'name="reviewer"' not in page
    assert "js/reviewer-picker.js" in page and 'role="listbox"' in page
    page = client.get(reverse("reviews:review_application", args=[app.pk]), {"q": reviewer.email}).content.decode()
    assert f'name="reviewer" value="{reviewer.pk}"' in page
    assert page.count('name="reviewer"') == 1
    response = client.post(reverse("reviews:review_application_assign", args=[app.pk]), {"reviewer": reviewer.pk})
    assert response.status_code == 302
    assert Review.objects.filter(application=app, reviewer=reviewer).exists()
    page = client.get(reverse("reviews:review_application", args=[app.pk]), {"q": reviewer.email}).content.decode()
    assert "No reviewer who may review this application matches." in page


def test_assigning_someone_outside_the_pool_is_refused(world, client, make_user):
    stranger = make_user("stranger@example.org")
    client.force_login(world.manager)
    response = client.post(
        reverse("reviews:review_application_assign", args=[world.apps[0].pk]), {"reviewer": stranger.pk}, follow=True
    )
    assert "not in the programme&#x27;s reviewer pool" in response.content.decode()
    assert not Review.objects.filter(reviewer=stranger).exists()


@pytest.mark.parametrize("who", ["reviewer", "applicant", "outsider"])
def test_only_the_programme_manager_may_search(world, client, make_user, who):
    app = world.apps[0]
    review = services.review_assign(actor=world.manager, application_id=app.pk, reviewer_id=world.reviewers[0].pk)
    services.review_declare_no_conflict(actor=world.reviewers[0], review_id=review.pk)
    user = {"reviewer": world.reviewers[0], "applicant": world.applicants[0], "outsider": make_user()}[who]
    client.force_login(user)
    response = client.get(reverse("reviews:review_application_reviewers", args=[app.pk]), {"q": "experts"})
    assert response.status_code == {"reviewer": 403, "applicant": 403, "outsider": 404}[who]
    assert b"experts.org" not in response.content


def test_reviewer_pool_is_paginated_searchable_and_flat(world, client, make_user):
    client.force_login(world.manager)
    url = reverse("reviews:reviewer_pool")
    add_reviewers(world.programme, make_user, 3)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    small = len(ctx.captured_queries)
    assert "7 reviewers" in html and 'class="pager"' not in html
    add_reviewers(world.programme, make_user, 130, start=100, expertise=["procurement"])
    client.get(url)  # the count is kept until the next audited change: compare reuse with reuse
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    assert len(ctx.captured_queries) == small, (small, len(ctx.captured_queries))
    assert "137 reviewers" in html and "Page 1 of 3" in html and html.count("@experts.org</span>") == 50
    # Searching keeps the query in the pager's links.
    html = client.get(url, {"q": "procurement", "page": "2"}).content.decode()
    assert "130 reviewers" in html and "Page 2 of 3" in html
    assert "?q=procurement&amp;page=3" in html and "?q=procurement&amp;page=1" in html
    assert world.reviewers[0].email not in html
    html = client.get(url, {"q": "reviewer1@"}).content.decode()
    assert "1 reviewer" in html and world.reviewers[0].email in html
