"""What waits for a programme manager: applications to screen, divergent reviews, decisions
pending, tranches to approve, reports to review, and what is overdue. The dashboard section
shows the counts; the full page lists the oldest items of each kind. A fixed number of queries
whatever the number of programmes, applications, reviews, tranches or reports."""

from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from accounts.roles import MANAGER, programme_ids
from applications.models import Application
from applications.models import ApplicationState as A
from applications.review.models import Review, ReviewState
from audit.cache import until_next_change
from grants.calls.models import Programme
from grants.disbursement.models import Tranche, TrancheState
from reporting.grantee.models import GranteeReport
from reporting.grantee.models import GranteeReportState as R

OPEN_REVIEW_STATES = [ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED]
LIST_LIMIT = 25


def managed_programme_ids(user) -> list[int] | None:
    """None for an admin (every programme)."""
    if user.is_superuser:
        return None
    return sorted(programme_ids(user, MANAGER))


def _in(qs, path, ids):
    return qs if ids is None else qs.filter(**{f"{path}__in": ids})


def divergent_applications(ids):
    """Applications whose submitted reviews differ by more than the call's divergence threshold
    and that have no consensus score yet."""
    reviews = _in(
        Review.objects.filter(
            state=ReviewState.SUBMITTED,
            weighted_total__isnull=False,
            application__consensus_score__isnull=True,
            application__state__in=[A.UNDER_REVIEW, A.REVIEWED],
        ),
        "application__call__programme_id",
        ids,
    )
    return (
        reviews.values("application_id", "application__call__divergence_threshold")
        .annotate(spread=Max("weighted_total") - Min("weighted_total"), reviews=Count("id"))
        .filter(reviews__gte=2, spread__gt=F("application__call__divergence_threshold"))
        .order_by()
    )


def manager_counts(user, now=None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = managed_programme_ids(user)
    counts = _in(Application.objects.all(), "call__programme_id", ids).aggregate(
        to_screen=Count("id", filter=Q(state=A.SUBMITTED)),
        decisions_pending=Count("id", filter=Q(state=A.REVIEWED)),
        clarifications_overdue=Count("id", filter=Q(state=A.CLARIFICATION_REQUESTED, clarification_due__lt=now)),
    )
    counts["divergent"] = divergent_applications(ids).count()
    counts.update(
        _in(Review.objects.all(), "application__call__programme_id", ids).aggregate(
            reviews_overdue=Count("id", filter=Q(state__in=OPEN_REVIEW_STATES, due_at__lt=now))
        )
    )
    counts.update(
        _in(Tranche.objects.all(), "grant__call__programme_id", ids).aggregate(
            tranches_to_approve=Count("id", filter=Q(state=TrancheState.DUE)),
            tranches_overdue=Count(
                "id", filter=Q(state__in=[TrancheState.DUE, TrancheState.APPROVED], due_on__lt=today)
            ),
        )
    )
    counts.update(
        _in(GranteeReport.objects.all(), "grant__call__programme_id", ids).aggregate(
            reports_to_review=Count("id", filter=Q(state=R.SUBMITTED)),
            reports_overdue=Count("id", filter=Q(state__in=[R.SCHEDULED, R.CHANGES_REQUESTED], due_on__lt=today)),
        )
    )
    counts["overdue"] = (
        counts["clarifications_overdue"]
        + counts["reviews_overdue"]
        + counts["tranches_overdue"]
        + counts["reports_overdue"]
    )
    counts["total"] = (
        counts["to_screen"]
        + counts["divergent"]
        + counts["decisions_pending"]
        + counts["tranches_to_approve"]
        + counts["reports_to_review"]
        + counts["overdue"]
    )
    return counts


# What waits for a manager is recomputed after every audited change and at least once a minute
# (items become overdue with time alone).
WAITING_REUSE_SECONDS = 60


def _minute() -> str:
    return timezone.now().strftime("%Y%m%d%H%M")


def manager_counts_current(user) -> dict:
    """`manager_counts`, computed once per change and minute (`audit.cache`)."""
    return until_next_change(
        f"manager-counts:{user.pk}:{_minute()}", lambda: manager_counts(user), seconds=WAITING_REUSE_SECONDS
    )


def manager_lists_current(user) -> dict:
    """`manager_lists`, computed once per change and minute (`audit.cache`)."""
    return until_next_change(
        f"manager-lists:{user.pk}:{_minute()}", lambda: manager_lists(user), seconds=WAITING_REUSE_SECONDS
    )


def manager_section(user):
    ids = managed_programme_ids(user)
    programmes = Programme.objects.all() if ids is None else Programme.objects.filter(pk__in=ids)
    return {"programmes": list(programmes), "counts": manager_counts_current(user)}


def manager_lists(user, now=None) -> dict:
    """The oldest items of each kind, for the full page (LIST_LIMIT each)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = managed_programme_ids(user)
    apps = _in(Application.objects.select_related("call", "organisation"), "call__programme_id", ids)
    divergent_ids = [row["application_id"] for row in divergent_applications(ids)[:LIST_LIMIT]]
    reports = _in(
        GranteeReport.objects.select_related("grant", "grant__organisation"), "grant__call__programme_id", ids
    )
    tranches = _in(Tranche.objects.select_related("grant", "grant__organisation"), "grant__call__programme_id", ids)
    reviews = _in(Review.objects.select_related("application", "reviewer"), "application__call__programme_id", ids)
    return {
        "to_screen": list(apps.filter(state=A.SUBMITTED).order_by("submitted_at")[:LIST_LIMIT]),
        "divergent": list(apps.filter(pk__in=divergent_ids).order_by("submitted_at")) if divergent_ids else [],
        "decisions_pending": list(
            apps.filter(state=A.REVIEWED).order_by("call__deadline", "submitted_at")[:LIST_LIMIT]
        ),
        "clarifications_overdue": list(
            apps.filter(state=A.CLARIFICATION_REQUESTED, clarification_due__lt=now).order_by("clarification_due")[
                :LIST_LIMIT
            ]
        ),
        "reviews_overdue": list(
            reviews.filter(state__in=OPEN_REVIEW_STATES, due_at__lt=now).order_by("due_at")[:LIST_LIMIT]
        ),
        "tranches_to_approve": list(tranches.filter(state=TrancheState.DUE).order_by("due_on", "pk")[:LIST_LIMIT]),
        "tranches_overdue": list(
            tranches.filter(state__in=[TrancheState.DUE, TrancheState.APPROVED], due_on__lt=today).order_by("due_on")[
                :LIST_LIMIT
            ]
        ),
        "reports_to_review": list(reports.filter(state=R.SUBMITTED).order_by("submitted_at")[:LIST_LIMIT]),
        "reports_overdue": list(
            reports.filter(state__in=[R.SCHEDULED, R.CHANGES_REQUESTED], due_on__lt=today).order_by("due_on")[
                :LIST_LIMIT
            ]
        ),
    }
