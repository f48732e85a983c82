from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.roles import MANAGER, programme_ids
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


def call_list_managed(user):
    """Calls of the programmes the user manages, with their application counts (one query; the
    counts are subqueries, computed for the rows of the page only)."""

    def count(condition):
        one_call = Call.objects.filter(pk=OuterRef("pk")).order_by().values("pk")
        return Subquery(one_call.annotate(n=Count("applications", filter=condition)).values("n"))

    return (
        Call.objects.filter(programme__in=programme_list_for(user, MANAGER))
        .select_related("programme")
        .annotate(
            application_count=count(~Q(applications__state="draft")),
            draft_count=count(Q(applications__state="draft")),
        )
        .order_by("programme__code", "-deadline", "pk")
    )


def call_template(call: Call) -> dict:
    """A call's template, each part in position order (five queries)."""
    return {
        "questions": list(call.questions.order_by("position")),
        "budget_headings": list(call.budget_headings.order_by("position")),
        "required_documents": list(call.required_documents.order_by("position")),
        "criteria": list(call.criteria.order_by("position")),
        "tranche_plan": list(call.tranche_plan.order_by("position")),
    }
