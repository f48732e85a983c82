"""Dashboard section for reviewers: open assignments with due dates and counts per state.
Three queries whatever the number of reviews."""

from django.db.models import Count, Q
from django.utils import timezone

from accounts.roles import REVIEWER
from applications.models import ApplicationState
from applications.review.models import Review, ReviewState
from applications.review.selectors import OPEN_REVIEW_STATES, REVIEWER_STATES, review_list_waiting, reviews_with_overdue
from grants.calls.selectors import programme_list_for

DASHBOARD_ROWS = 10


def reviewer_section(user):
    active = Q(application__state__in=[ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED])
    counts = Review.objects.filter(reviewer=user, state__in=REVIEWER_STATES).aggregate(
        waiting=Count("pk", filter=active & Q(state=ReviewState.ASSIGNED)),
        in_progress=Count("pk", filter=active & Q(state__in=[ReviewState.ACCEPTED, ReviewState.RETURNED])),
        submitted=Count("pk", filter=Q(state=ReviewState.SUBMITTED)),
        overdue=Count("pk", filter=active & Q(state__in=OPEN_REVIEW_STATES, due_at__lt=timezone.now())),
    )
    return {
        "programmes": list(programme_list_for(user, REVIEWER)),
        "open": reviews_with_overdue(review_list_waiting(user)[:DASHBOARD_ROWS]),
        **counts,
    }
