"""Many reviewed applications at once, for query-count tests (bulk rows; the state is given at
creation like any other column of test data, never assigned afterwards)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from applications.models import Application
from applications.review.models import Review, Score
from applications.review.ranking import assessments_refresh
from audit.services import audit_record


def bulk_reviewed(
    call, organisation, user, reviewers, n, *, start=0, state="reviewed", review_state="submitted", requested="20000"
):
    criteria = list(call.criteria.order_by("position"))
    now = timezone.now()
    apps = Application.objects.bulk_create(
        [
            Application(
                call=call,
                organisation=organisation,
                created_by=user,
                title=f"Bulk project {start + i}",
                reference=f"{call.code.upper()}-B{start + i:05d}",
                requested_amount=Decimal(requested),
                submitted_at=now,
                state=state,
            )
            for i in range(n)
        ]
    )
    reviews = Review.objects.bulk_create(
        [
            Review(
                application=app,
                reviewer=reviewer,
                due_at=now + timedelta(days=14),
                state=review_state,
                declared_at=now,
                submitted_at=now if review_state == "submitted" else None,
                recommendation="fund" if review_state == "submitted" else "",
                weighted_total=Decimal(14 + (i + j) % 5) if review_state == "submitted" else None,
            )
            for i, app in enumerate(apps)
            for j, reviewer in enumerate(reviewers)
        ]
    )
    Score.objects.bulk_create(
        [
            Score(
                review=review,
                criterion=c,
                score=Decimal("3.5") + Decimal((k + i) % 3) / 2,
                comment="Bulk comment long enough to pass the minimum length of fifty characters.",
            )
            for i, review in enumerate(reviews)
            for k, c in enumerate(criteria)
        ]
    )
    with transaction.atomic():  # as the review services would have: refreshed, and audited
        assessments_refresh(call, [app.pk for app in apps])
        audit_record(actor=user, action="review_submit", obj=call, data={"bulk": n})
    return apps
