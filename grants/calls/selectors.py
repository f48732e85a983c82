from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.roles import MANAGER, programme_ids
from audit.cache import until_next_change
from grants.calls.models import Call, CallState, Programme

# States in which a call is public: anyone may read its terms.
PUBLIC_STATES = [
    CallState.PUBLISHED,
    CallState.OPEN,
    CallState.CLOSED,
    CallState.REVIEWING,
    CallState.DECIDED,
    CallState.ARCHIVED,
]
COUNTS_REUSE_SECONDS = 300  # at most, for a change the audit trail does not see (an admin edit)


def call_list_public():
    """Calls a visitor may see: published (opening soon) and open ones, soonest deadline first."""
    return (
        Call.objects.filter(state__in=[CallState.PUBLISHED, CallState.OPEN], deadline__gt=timezone.now())
        .select_related("programme")
        .order_by("deadline")
    )


def programme_list_for(user, *roles):
    if user.is_superuser:
        return Programme.objects.all()
    return Programme.objects.filter(pk__in=programme_ids(user, *roles))


def call_visibility_q(user) -> Q:
    """Public calls for everyone; drafts and cancelled calls only for their programme's managers."""
    if getattr(user, "is_superuser", False):
        return Q()
    return Q(state__in=PUBLIC_STATES) | Q(programme_id__in=programme_ids(user, MANAGER))


def call_list_visible(user):
    return Call.objects.filter(call_visibility_q(user)).select_related("programme")


def call_get_visible(user, pk) -> Call:
    """The call if the user may see it; Call.DoesNotExist (404) otherwise."""
    return call_list_visible(user).get(pk=pk)


def call_get_managed(user, pk) -> Call:
    """A call of a programme the user manages; Call.DoesNotExist (404) otherwise."""
    qs = Call.objects.select_related("programme")
    if not user.is_superuser:
        qs = qs.filter(programme_id__in=programme_ids(user, MANAGER))
    return qs.get(pk=pk)


def call_list_for_manager(user):
    """Calls of the programmes the user manages, by programme and latest deadline first."""
    return (
        Call.objects.filter(programme__in=programme_list_for(user, MANAGER))
        .select_related("programme")
        .order_by("programme__code", "-deadline", "pk")
    )


def call_list_managed(user):
    """`call_list_for_manager` with each call's application counts (one query; the counts are
    subqueries, computed for the rows of the page only)."""

    def count(condition):
        one_call = Call.objects.filter(pk=OuterRef("pk")).order_by().values("pk")
        # Counting the (never null) state, not the id, lets PostgreSQL read the counts from the
        # (call, state) index alone instead of visiting every application of the call.
        return Subquery(one_call.annotate(n=Count("applications__state", filter=condition)).values("n"))

    return call_list_for_manager(user).annotate(
        application_count=count(~Q(applications__state="draft")),
        draft_count=count(Q(applications__state="draft")),
    )


def call_counts_current(user, calls) -> dict[int, tuple[int, int]]:
    """(applications, drafts) of each of these calls, counted once per audited change (starting,
    submitting and withdrawing an application are audited): counting a call of 100,000
    applications reads 100,000 index entries, so a list opened again reuses the counts."""
    ids = sorted(call.pk for call in calls)

    def compute() -> dict[int, tuple[int, int]]:
        rows = call_list_managed(user).filter(pk__in=ids).values_list("pk", "application_count", "draft_count")
        return {pk: (submitted, drafts) for pk, submitted, drafts in rows}

    return until_next_change("call-counts:" + ",".join(map(str, ids)), compute, seconds=COUNTS_REUSE_SECONDS)


def call_template(call: Call) -> dict:
    """A call's template, each part in position order (five queries)."""
    return {
        "questions": list(
            call.questions.filter(purpose="application").exclude(kind="file").order_by("section__position", "position")
        ),
        "budget_headings": list(call.budget_headings.order_by("position")),
        "required_documents": list(call.required_documents.filter(question__isnull=True).order_by("position")),
        "criteria": list(call.criteria.order_by("position")),
        "tranche_plan": list(call.tranche_plan.order_by("position")),
    }
