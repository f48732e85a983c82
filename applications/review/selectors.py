"""Reads for reviews, assignments, the reviewer pool, rankings and feedback.

Every read here is as strict as `visibility.py`: a reviewer reaches an application's content
only through their own review in a cleared state (accepted, submitted, returned); before the
declaration only the title; a conflicted review is invisible (404). Managers reach what belongs
to the programmes they manage. Each function runs a fixed number of queries.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, ProgrammeRole
from accounts.roles import MANAGER, REVIEWER, programme_ids
from applications.models import Application, ApplicationState
from applications.review.models import Review, ReviewerProfile, ReviewState, Score
from applications.visibility import CLEARED_REVIEW_STATES, application_list_visible
from audit.cache import until_next_change
from core.money import cents
from core.shortcuts import get_visible_or_404
from grants.calls.form.layout import form_load
from grants.calls.models import Call, Programme

OPEN_REVIEW_STATES = [ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED]
REVIEWER_STATES = OPEN_REVIEW_STATES + [ReviewState.SUBMITTED]  # everything but conflicted
ASSIGNABLE_STATES = [ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]
DECIDED_STATES = [
    ApplicationState.AWARDED,
    ApplicationState.RESERVE,
    ApplicationState.REJECTED,
    ApplicationState.SHORTLISTED,  # a concept note invited to the full application
]
PROGRESS_REUSE_SECONDS = 60


def managed_programme_ids(user):
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return None if user.is_superuser else programme_ids(user, MANAGER)


def _managed(qs, user, path):
    ids = managed_programme_ids(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{path}__in": ids})


# --- the reviewer's own reviews ---------------------------------------------------------------


def review_list_for_reviewer(user, states=REVIEWER_STATES):
    """The user's own reviews (never conflicted ones), soonest due first."""
    if not getattr(user, "is_authenticated", False):
        return Review.objects.none()
    return (
        Review.objects.filter(reviewer=user, state__in=states)
        .select_related("application__call")
        .order_by("due_at", "pk")
    )


def review_list_waiting(user):
    """The user's open assignments: not submitted yet, on applications still under review."""
    return review_list_for_reviewer(user, OPEN_REVIEW_STATES).filter(
        application__state__in=[ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]
    )


def reviews_with_overdue(reviews) -> list[Review]:
    now = timezone.now()
    reviews = list(reviews)
    for review in reviews:
        review.overdue = review.state in OPEN_REVIEW_STATES and review.due_at < now
    return reviews


def review_get_for_reviewer(user, pk) -> Review:
    """The user's own review; 404 for anyone else's and for a conflicted one."""
    return get_visible_or_404(review_list_for_reviewer(user).select_related("application__call__programme"), pk)


def review_is_cleared(review) -> bool:
    return review.state in CLEARED_REVIEW_STATES


def reviewer_counts(user) -> dict[str, int]:
    """How many of the user's reviews are in each state (one query)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        Review.objects.filter(reviewer=user, state__in=REVIEWER_STATES)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )


def application_blind_for(user, application) -> bool:
    """True when this user must not see who applied: blind review on and the user is not a
    member of the organisation or a manager of the programme. Pages and API of other parts
    that show an application to a reviewer use this too."""
    if not application.call.blind_review or not getattr(user, "is_authenticated", False):
        return application.call.blind_review
    if user.is_superuser or application.call.programme_id in programme_ids(user, MANAGER):
        return False
    return not Membership.objects.filter(user=user, organisation_id=application.organisation_id).exists()


def review_application_content(review):
    """What a cleared reviewer reads: the application with its answers, budget and attachments.
    Attachments are numbered; their file names are left out under blind review."""
    application = (
        Application.objects.select_related("call", "organisation")
        .prefetch_related("budget_lines__heading", "attachments")
        .get(pk=review.application_id)
    )
    blind = application.call.blind_review
    return {
        "application": application,
        "blind": blind,
        "answers": form_load(application.call_id).answer_rows(application.answers, blind=blind),
        "budget_lines": list(application.budget_lines.all()),
        "attachments": [
            {"number": i, "name": None if blind else a.original_name, "size": a.size, "content_type": a.content_type}
            for i, a in enumerate(sorted(application.attachments.all(), key=lambda a: (a.uploaded_at, a.pk)), start=1)
        ],
    }


def review_attachment(review, number: int):
    """The `number`-th (from 1) attachment of the review's application, in upload order."""
    attachments = list(review.application.attachments.order_by("uploaded_at", "pk"))
    if not 1 <= number <= len(attachments):
        raise Http404
    return attachments[number - 1]


def review_scores(review) -> dict[int, Score]:
    return {s.criterion_id: s for s in review.scores.all()}


# --- managers ---------------------------------------------------------------------------------


def call_list_managed(user):
    if not getattr(user, "is_authenticated", False):
        return Call.objects.none()
    return _managed(Call.objects.select_related("programme"), user, "programme_id").order_by("-deadline")


def call_get_managed(user, pk) -> Call:
    return get_visible_or_404(call_list_managed(user), pk)


def programme_list_managed(user):
    if not getattr(user, "is_authenticated", False):
        return Programme.objects.none()
    return _managed(Programme.objects.all(), user, "pk")


def application_get_visible(user, pk) -> Application:
    """Through visibility.py: 404 for anyone who may not see the application."""
    return get_visible_or_404(application_list_visible(user).select_related("call__programme", "organisation"), pk)


def review_list_visible(user):
    """Reviews a user may see: their own (not conflicted) and, for managers, every review in
    the programmes they manage."""
    if not getattr(user, "is_authenticated", False):
        return Review.objects.none()
    qs = Review.objects.select_related("application__call", "reviewer")
    ids = managed_programme_ids(user)
    if ids is None:
        return qs
    visible = Q(reviewer=user, state__in=REVIEWER_STATES)
    if ids:
        visible |= Q(application__call__programme_id__in=ids)
    return qs.filter(visible)


def call_assignments(call):
    """Applications of the call that can be or have been reviewed, with their reviews
    (reviewer included): two queries whatever the numbers."""
    reviews = Prefetch("reviews", queryset=Review.objects.select_related("reviewer").order_by("assigned_at", "pk"))
    return (
        Application.objects.filter(call=call, state__in=ASSIGNABLE_STATES + DECIDED_STATES)
        .select_related("organisation")
        .prefetch_related(reviews)
        .order_by("reference", "pk")
    )


def reviewer_progress(call):
    """Per reviewer of the call: assigned (open), submitted, conflicted and overdue counts."""
    now = timezone.now()
    rows = (
        Review.objects.filter(application__call=call)
        .order_by()
        .values("reviewer_id", "reviewer__full_name", "reviewer__email")
        .annotate(
            total=Count("pk"),
            waiting=Count("pk", filter=Q(state=ReviewState.ASSIGNED)),
            in_progress=Count("pk", filter=Q(state__in=[ReviewState.ACCEPTED, ReviewState.RETURNED])),
            submitted=Count("pk", filter=Q(state=ReviewState.SUBMITTED)),
            conflicted=Count("pk", filter=Q(state=ReviewState.CONFLICTED)),
            overdue=Count("pk", filter=Q(state__in=OPEN_REVIEW_STATES, due_at__lt=now)),
        )
    )
    return rows.order_by("reviewer__full_name", "reviewer__email", "reviewer_id")


def reviewer_progress_current(call) -> list[dict]:
    """`reviewer_progress`, counted once per audited change (every assignment, review transition
    and extension writes an audit event) and minute (what is overdue moves with the clock): the
    count runs over every review of the call, so pages and the API reuse it until it changes."""
    minute = timezone.now().strftime("%Y%m%d%H%M")
    return until_next_change(
        f"reviewer-progress:{call.pk}:{minute}", lambda: list(reviewer_progress(call)), seconds=PROGRESS_REUSE_SECONDS
    )


def _review_count(states):
    """The number of a user's reviews in these states, as a subquery (computed for the rows of
    the page only, not for the whole pool)."""
    counted = (
        Review.objects.filter(reviewer=OuterRef("pk"), state__in=states)
        .order_by()
        .values("reviewer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def reviewer_pool(programme_ids_, query: str = ""):
    """Users holding the reviewer role in these programmes, with their profile and open load,
    matching the query (name, e-mail, expertise, country), by name."""
    User = get_user_model()
    in_pool = ProgrammeRole.objects.filter(user=OuterRef("pk"), role=REVIEWER, programme_id__in=programme_ids_)
    return _reviewer_search(
        User.objects.filter(Exists(in_pool))
        .select_related("reviewer_profile")
        .annotate(open_reviews=_review_count(OPEN_REVIEW_STATES), done_reviews=_review_count([ReviewState.SUBMITTED])),
        query,
    ).order_by("full_name", "email", "pk")


REVIEWER_SEARCH_LIMIT = 20


def pool_member_named(programme_id: int, text: str):
    """The one reviewer of the programme's pool that `text` names: their exact e-mail address,
    or words that match one reviewer only. ValidationError saying what to type otherwise."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reviewer": _("Type the reviewer's e-mail address or name.")})
    User = get_user_model()
    pool = User.objects.filter(
        Exists(ProgrammeRole.objects.filter(user=OuterRef("pk"), programme_id=programme_id, role=REVIEWER))
    )
    exact = pool.filter(email__iexact=text).first()
    if exact is not None:
        return exact
    found = list(_reviewer_search(pool, text).order_by("full_name", "email", "pk")[:2])
    if not found:
        raise ValidationError(
            {"reviewer": _("No reviewer of the programme's pool matches “%(text)s”.") % {"text": text}}
        )
    if len(found) > 1:
        raise ValidationError(
            {"reviewer": _("Several reviewers match “%(text)s”: type the full e-mail address.") % {"text": text}}
        )
    return found[0]


def _reviewer_search(qs, query: str):
    """Every word of the query in the name, e-mail, expertise or countries of the reviewer (the
    profile's lists are searched in their JSON text, which both databases index alike)."""
    for word in (query or "").split()[:8]:
        qs = qs.filter(
            Q(full_name__icontains=word)
            | Q(email__icontains=word)
            | Q(reviewer_profile__expertise__icontains=word)
            | Q(reviewer_profile__countries__icontains=word)
        )
    return qs


def reviewer_candidates(application, query: str = "", limit: int = REVIEWER_SEARCH_LIMIT) -> list:
    """Active reviewers of the application's programme who may review it, matching the query:
    the rules of `services.assignment._assignment_problem` as one query (never a member of the
    applicant organisation, never one already assigned or who declared a conflict, never an
    inactive one, never one from the applicant's country when the call says so); at most `limit`,
    least loaded first. One query whatever the size of the pool."""
    User = get_user_model()
    call = application.call
    qs = (
        User.objects.filter(
            Exists(ProgrammeRole.objects.filter(user=OuterRef("pk"), programme_id=call.programme_id, role=REVIEWER))
        )
        .exclude(reviewer_profile__active=False)
        .exclude(Exists(Membership.objects.filter(user=OuterRef("pk"), organisation_id=application.organisation_id)))
        .exclude(Exists(Review.objects.filter(reviewer=OuterRef("pk"), application_id=application.pk)))
    )
    if call.reviewers_not_from_applicant_country and application.organisation.country:
        qs = qs.exclude(reviewer_profile__countries__icontains=f'"{application.organisation.country}"')
    return list(
        _reviewer_search(qs, query)
        .select_related("reviewer_profile")
        .annotate(open_reviews=_review_count(OPEN_REVIEW_STATES))
        .order_by("open_reviews", "full_name", "email", "pk")[:limit]
    )


def programme_reviewer_ids(programme_id) -> set[int]:
    return set(ProgrammeRole.objects.filter(programme_id=programme_id, role=REVIEWER).values_list("user_id", flat=True))


def profile_for(user):
    return ReviewerProfile.objects.filter(user=user).first()


def application_reviews_for_manager(application):
    return list(application.reviews.select_related("reviewer").prefetch_related("scores").order_by("assigned_at", "pk"))


# --- feedback for applicants ------------------------------------------------------------------


def application_feedback(application) -> dict:
    """Consolidated feedback: per criterion the mean score and every reviewer's comment, without
    reviewers' names (submitted reviews only). Two queries."""
    criteria = list(application.call.criteria.order_by("position"))
    scores = (
        Score.objects.filter(review__application=application, review__state=ReviewState.SUBMITTED)
        .order_by("review__submitted_at", "review_id")
        .values_list("criterion_id", "score", "comment")
    )
    by_criterion = {c.pk: {"criterion": c, "scores": [], "comments": []} for c in criteria}
    for criterion_id, score, comment in scores:
        entry = by_criterion.get(criterion_id)
        if entry is None:
            continue
        if score is not None:
            entry["scores"].append(score)
        if comment.strip():
            entry["comments"].append(comment.strip())
    items = []
    for c in criteria:
        entry = by_criterion[c.pk]
        mean = cents(sum(entry["scores"]) / len(entry["scores"])) if entry["scores"] else None
        items.append({"criterion": c, "mean": mean, "max_score": c.max_score, "comments": entry["comments"]})
    return {"criteria": items}
