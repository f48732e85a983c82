"""A reviewer who finds a conflict after reading (or scoring) declares it: access ends at the next
request, the score leaves the ranking, the managers see the flag. Reviews are refused after their
due date (409 with the date) unless the manager gives more time, which is audited."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from applications.review.models import Review, ReviewState
from applications.review.ranking import call_ranking
from applications.review.services import review_assign
from audit.models import AuditEvent
from tests.reviews.conftest import COMMENT, api_for, score_and_submit
from workers.models import Notification


def assigned(world, app, *reviewers):
    return [review_assign(actor=world.manager, application_id=app.pk, reviewer_id=r.pk) for r in reviewers]


def test_a_conflict_found_after_scoring_withdraws_the_score_and_ends_access(world, client):
    app = world.apps[0]
    first, second = assigned(world, app, world.reviewers[1], world.reviewers[2])
    score_and_submit(first, [5, 5, 5])
    score_and_submit(second, [1, 1, 1])
    _rubric, ranking = call_ranking(world.call)
    before = next(a for a in ranking.fundable.object_list + ranking.not_fundable.object_list if a.id == app.pk)
    assert before.row.submitted == 2

    reviewer = world.reviewers[1]
    client.force_login(reviewer)
    page = client.get(reverse("reviews:review_detail", args=[first.pk]))
    assert "I have found a conflict of interest" in page.content.decode()
    response = client.post(
        reverse("reviews:review_declare", args=[first.pk]),
        {"conflict": "", "reason": "I found that I advised this organisation last year."},
    )
    assert response.status_code == 302
    # Access ends at the next request: the review, the application and its files are gone for them.
    assert client.get(reverse("reviews:review_detail", args=[first.pk])).status_code == 404
    assert client.get(reverse("applications:application_detail", args=[app.pk])).status_code == 404

    _rubric, ranking = call_ranking(world.call)
    after = next(a for a in ranking.fundable.object_list + ranking.not_fundable.object_list if a.id == app.pk)
    assert after.row.submitted == 1 and after.row.withdrawn == 1
    assert after.mean_total < before.mean_total  # the 45-point review no longer counts

    event = AuditEvent.objects.filter(action="declare_conflict", object_id=str(first.pk)).get()
    assert event.data["late"] is True and event.data["withdrawn_total"]
    assert Notification.objects.filter(recipient=world.manager, kind="review_conflict_declared").exists()
    client.force_login(world.manager)
    page = client.get(reverse("reviews:review_ranking", args=[world.call.pk])).content.decode()
    assert "withdrawn: conflict found late" in page
    page = client.get(reverse("reviews:review_application", args=[app.pk])).content.decode()
    assert "Found after reading" in page


def test_the_api_offers_a_late_conflict_to_the_reviewer(world):
    (review,) = assigned(world, world.apps[1], world.reviewers[0])
    score_and_submit(review, [3, 3, 3])
    api = api_for(world.reviewers[0])
    data = api.get(f"/api/v1/reviews/{review.pk}/").json()
    assert "declare_conflict" in data["available_transitions"]
    response = api.post(f"/api/v1/reviews/{review.pk}/declare_conflict/", {"reason": "A board member is my cousin."})
    assert response.status_code == 200 and response.json()["state"] == ReviewState.CONFLICTED
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404


def test_a_review_is_refused_after_its_due_date_until_the_manager_gives_more_time(world, client):
    (review,) = assigned(world, world.apps[2], world.reviewers[3])
    Review.objects.filter(pk=review.pk).update(due_at=timezone.now() - timedelta(hours=1))
    api = api_for(world.reviewers[3])
    api.post(f"/api/v1/reviews/{review.pk}/declare_no_conflict/")
    criteria = world.criteria
    body = {
        "scores": [{"criterion": c.pk, "score": "4", "comment": COMMENT} for c in criteria],
        "recommendation": "fund",
    }
    late = api.post(f"/api/v1/reviews/{review.pk}/submit/", body, format="json")
    assert late.status_code == 409 and "was due on" in str(late.json())
    # Nothing typed is lost: the draft was saved before the refusal.
    assert Review.objects.get(pk=review.pk).recommendation == "fund"
    client.force_login(world.reviewers[3])
    assert "The due date has passed" in client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()

    # A reviewer cannot extend their own review; the manager can, with a reason.
    new_due = timezone.now() + timedelta(days=3)
    assert api.post(
        f"/api/v1/reviews/{review.pk}/extend/", {"due_at": new_due.isoformat(), "reason": "x"}
    ).status_code in (403, 404)
    manager = api_for(world.manager)
    past = manager.post(
        f"/api/v1/reviews/{review.pk}/extend/",
        {"due_at": (timezone.now() - timedelta(days=1)).isoformat(), "reason": "Ill"},
    )
    assert past.status_code == 400 and "due_at" in past.json()
    ok = manager.post(
        f"/api/v1/reviews/{review.pk}/extend/", {"due_at": new_due.isoformat(), "reason": "Ill for a week"}
    )
    assert ok.status_code == 200
    event = AuditEvent.objects.get(action="review_extend", object_id=str(review.pk))
    assert event.reason == "Ill for a week"
    assert Notification.objects.filter(recipient=world.reviewers[3], kind="review_due_extended").exists()
    assert api.post(f"/api/v1/reviews/{review.pk}/submit/", {}, format="json").status_code == 200


def test_the_manager_gives_more_time_from_the_application_page(world, client):
    (review,) = assigned(world, world.apps[0], world.reviewers[0])
    client.force_login(world.manager)
    page = client.get(reverse("reviews:review_application", args=[world.apps[0].pk])).content.decode()
    assert "Give more time" in page
    due = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("reviews:review_extend", args=[review.pk]),
        {f"extend-{review.pk}-due_at": due, f"extend-{review.pk}-reason": "Many applications this round"},
    )
    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).due_at > timezone.now() + timedelta(days=9)
    # Someone else's manager or the reviewer cannot.
    client.force_login(world.reviewers[0])
    assert client.post(
        reverse("reviews:review_extend", args=[review.pk]),
        {f"extend-{review.pk}-due_at": due, f"extend-{review.pk}-reason": "x"},
    ).status_code in (403, 404)
