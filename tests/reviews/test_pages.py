"""The pages: a reviewer's score sheet (draft, refused submission keeps what was typed,
submission), the manager's assignments, application, ranking and decision pages, the pool,
and the applicant's feedback."""

from decimal import Decimal

from django.core import mail
from django.urls import reverse

from applications.models import Application
from applications.review import services
from applications.review.models import Review
from grants.calls.models import Call
from tests.reviews.conftest import COMMENT, score_and_submit
from workers.outbox import outbox_relay_all


def sheet(criteria, values, comments=None, **extra):
    data = {"recommendation": "fund", "overall_comment": ""}
    for i, (c, v) in enumerate(zip(criteria, values)):
        data[f"score_{c.pk}"] = v
        data[f"comment_{c.pk}"] = (comments or [COMMENT] * len(criteria))[i]
    data.update(extra)
    return data


def test_reviewer_saves_a_draft_is_refused_with_reasons_then_submits(world, client):
    review = services.review_assign(
        actor=world.manager, application_id=world.apps[0].pk, reviewer_id=world.reviewers[0].pk
    )
    client.force_login(world.reviewers[0])
    home = client.get(reverse("reviews:review_home")).content.decode()
    assert "Declaration needed" in home and world.apps[0].title in home
    client.post(reverse("reviews:review_declare", args=[review.pk]), {"confirm": "on"})
    url = reverse("reviews:review_detail", args=[review.pk])
    page = client.get(url).content.decode()
    assert 'data-weight="2.00"' in page and 'inputmode="decimal"' in page and "review-score.js" in page
    c1, c2, c3 = world.criteria
    response = client.post(url, sheet(world.criteria, ["4.5", "3", ""], [COMMENT, "Too short", ""], save="1"))
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Too short" in page and 'value="4.5"' in page and "12.00" in page  # 4.5 x 2 + 3 + 0 (server-side total)
    response = client.post(url, sheet(world.criteria, ["4.5", "3", "4"], [COMMENT, "Too short", COMMENT], submit="1"))
    html = response.content.decode()
    assert response.status_code == 200 and "at least 50 characters" in html and "Too short" in html
    assert Review.objects.get(pk=review.pk).state == "accepted"
    response = client.post(url, sheet(world.criteria, ["4.5", "3", "4"], submit="1"))
    assert response.status_code == 302 and response.url == reverse("reviews:review_home")
    review.refresh_from_db()
    assert review.state == "submitted" and review.weighted_total == Decimal("16.00")
    page = client.get(url).content.decode()
    assert "Your submitted scores" in page and '<form method="post" class="panel score-sheet"' not in page
    assert client.post(url, sheet(world.criteria, ["1", "1", "1"], save="1")).status_code == 302
    assert Review.objects.get(pk=review.pk).weighted_total == Decimal("16.00")


def test_conflict_declared_on_the_page_ends_the_assignment(world, client):
    review = services.review_assign(
        actor=world.manager, application_id=world.apps[0].pk, reviewer_id=world.reviewers[0].pk
    )
    client.force_login(world.reviewers[0])
    response = client.post(reverse("reviews:review_declare", args=[review.pk]), {"conflict": "1", "reason": ""})
    assert response.status_code == 200 and Review.objects.get(pk=review.pk).state == "assigned"
    response = client.post(
        reverse("reviews:review_declare", args=[review.pk]), {"conflict": "1", "reason": "I sit on their board."}
    )
    assert response.status_code == 302 and Review.objects.get(pk=review.pk).state == "conflicted"
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 404


def test_manager_assigns_ranks_and_decides_on_the_pages(world, client):
    client.force_login(world.manager)
    url = reverse("reviews:review_call_assignments", args=[world.call.pk])
    assert client.get(url).status_code == 200
    client.post(reverse("reviews:review_call_assign_auto", args=[world.call.pk]))
    html = client.get(url).content.decode()
    assert html.count("Accepted (no conflict)") == 0 and html.count("badge review-assigned") == 6
    reviews = list(Review.objects.order_by("application_id", "pk"))
    scores = {world.apps[0].pk: (5, 4.5, 4.5), world.apps[1].pk: (4, 4, 4), world.apps[2].pk: (4.5, 2, 4)}
    for review in reviews:
        score_and_submit(review, scores[review.application_id])
    ranking = client.get(reverse("reviews:review_ranking", args=[world.call.pk])).content.decode()
    assert "Envelope cut-off" not in ranking  # 2 fundable x 40,000 fit in 100,000
    assert "19.00" in ranking and "16.00" in ranking and "Criterion 2: mean 2.00 is below the minimum 3" in ranking
    # The application page shows the reviewers' scores to the manager.
    page = client.get(reverse("reviews:review_application", args=[world.apps[0].pk])).content.decode()
    assert world.reviewers[0].full_name in page or world.reviewers[1].full_name in page
    decide = reverse("reviews:review_application_decide", args=[world.apps[1].pk])
    response = client.post(
        decide,
        {"decision": "award", "amount": "50000", "next": reverse("reviews:review_ranking", args=[world.call.pk])},
    )
    assert response.status_code == 302 and Application.objects.get(pk=world.apps[1].pk).state == "reviewed"
    client.post(decide, {"decision": "award", "amount": "38000"})
    assert Application.objects.get(pk=world.apps[1].pk).awarded_amount == Decimal("38000")
    client.post(reverse("reviews:review_ranking_decide_down", args=[world.call.pk]))
    states = dict(Application.objects.values_list("pk", "state"))
    assert [states[a.pk] for a in world.apps] == ["awarded", "awarded", "rejected"]
    assert Call.objects.get(pk=world.call.pk).awarded_total == Decimal("78000")
    client.post(reverse("reviews:review_selection_close", args=[world.call.pk]))
    assert Call.objects.get(pk=world.call.pk).state == "decided"
    # The applicant's feedback page and e-mail, without the reviewers' names.
    client.force_login(world.applicants[1])
    feedback = client.get(reverse("reviews:review_feedback", args=[world.apps[1].pk])).content.decode()
    assert "minimum length of fifty" in feedback and "4.00" in feedback
    for reviewer in world.reviewers:
        assert reviewer.full_name not in feedback and reviewer.email not in feedback
    assert client.get(reverse("reviews:review_feedback", args=[world.apps[0].pk])).status_code == 404
    outbox_relay_all()
    assert any(m.to == [world.applicants[1].email] and "38,000.00" in m.body for m in mail.outbox)


def test_reviewer_pool_page_invites(world, client):
    client.force_login(world.manager)
    url = reverse("reviews:reviewer_pool")
    assert world.reviewers[0].email in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "programme": world.programme.pk,
            "email": "lilit@experts.am",
            "full_name": "Lilit",
            "expertise": "procurement",
            "languages": ["hy", "en"],
            "countries": ["AM"],
        },
    )
    assert response.status_code == 302
    assert "lilit@experts.am" in client.get(url).content.decode()
    client.post(reverse("reviews:reviewer_pool_active", args=[world.reviewers[0].pk]), {"active": "0"})
    assert world.reviewers[0].reviewer_profile.__class__.objects.get(user=world.reviewers[0]).active is False
    client.force_login(world.reviewers[0])
    assert client.get(url).status_code == 404


def test_dashboard_section_lists_assignments_with_due_dates(world, client):
    services.review_assign(actor=world.manager, application_id=world.apps[0].pk, reviewer_id=world.reviewers[0].pk)
    client.force_login(world.reviewers[0])
    html = client.get(reverse("dashboard")).content.decode()
    assert world.apps[0].title in html and "1 waiting for your declaration" in html and "datetime=" in html
