"""Reads for the application pages, API and exports. Every read starts from
`visibility.application_list_visible`, so what one user may not see does not exist for them."""

from django.db.models import Count
from django.utils.translation import get_language

from accounts.models import Membership, OrganisationType
from accounts.orgid import COUNTRY_CHOICES
from applications.models import Application, ApplicationState, Attachment, BudgetLine
from applications.search import application_search
from applications.uploads import BY_CONTENT_TYPE
from applications.visibility import application_is_manager, application_is_member, application_list_visible
from audit.cache import until_next_change
from audit.models import AuditEvent
from grants.calls.form.layout import form_load


def application_list_visible_with_call(user):
    """The applications the user may see, each with its call, programme and organisation."""
    return application_list_visible(user).select_related("call", "call__programme", "organisation")


def application_get_visible(user, pk) -> Application:
    """The application if the user may see it; Application.DoesNotExist (404) otherwise."""
    return application_list_visible_with_call(user).get(pk=pk)


def application_list_visible_exists(user, pk) -> bool:
    return application_list_visible(user).filter(pk=pk).exists()


def application_list_mine(user):
    """The applications of the organisations the user belongs to."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(organisation__in=Membership.objects.filter(user=user).values("organisation_id"))
        .select_related("call", "organisation")
        .order_by("-updated_at")
    )


COUNTS_REUSE_SECONDS = 60  # at most, for a change the audit trail does not see (an admin edit)
# The columns a call's list of applications sorts by (`?sort=requested`, `?sort=-submitted`).
APPLICATION_SORTS = {
    "reference": ("reference",),
    "organisation": ("organisation__legal_name",),
    "country": ("organisation__country", "organisation__legal_name"),
    "type": ("organisation__org_type", "organisation__legal_name"),
    "title": ("title",),
    "requested": ("requested_amount",),
    "state": ("state", "reference"),
    "submitted": ("submitted_at",),
}


def application_list_for_call(user, call, *, state="", country="", org_type="", q=""):
    """The call's applications the user may see, filtered and searched (`applications.search`);
    one query whatever the size. By reference; `core.sorting.sort_apply` with APPLICATION_SORTS
    for another order."""
    qs = application_search(application_list_visible(user).filter(call=call).select_related("organisation"), q)
    if state:
        qs = qs.filter(state=state)
    if country:
        qs = qs.filter(organisation__country=country)
    if org_type:
        qs = qs.filter(organisation__org_type=org_type)
    return qs.order_by("reference", "organisation__legal_name", "pk")


def application_counts_for_call(user, call) -> dict:
    """Counts per state and per country of the call's applications the user may see (two queries,
    once per audited change: starting, submitting, screening, deciding and withdrawing are)."""
    return until_next_change(
        f"application-counts:{user.pk}:{call.pk}:{get_language()}",
        lambda: _application_counts(user, call),
        seconds=COUNTS_REUSE_SECONDS,
    )


def _application_counts(user, call) -> dict:
    base = application_list_visible(user).filter(call=call)
    labels = dict(ApplicationState.choices)
    by_state = {row["state"]: row["n"] for row in base.order_by().values("state").annotate(n=Count("pk"))}
    by_country = {
        row["organisation__country"]: row["n"]
        for row in base.order_by().values("organisation__country").annotate(n=Count("pk"))
    }
    names = dict(COUNTRY_CHOICES)
    return {
        "states": [
            (value, str(labels[value]), by_state[value]) for value in ApplicationState.values if value in by_state
        ],
        "countries": sorted(
            ((code, str(names.get(code, code)), n) for code, n in by_country.items()), key=lambda r: r[1]
        ),
        "total": sum(by_state.values()),
    }


def org_type_choices():
    return list(OrganisationType.choices)


def application_detail_parts(app: Application) -> dict:
    """The draft's parts: its form, headings, budget lines, documents, attachments (six queries)."""
    call = app.call
    form = form_load(call.pk)
    return {
        "form": form,
        "questions": form.questions,
        "headings": list(call.budget_headings.order_by("position")),
        "lines": list(BudgetLine.objects.filter(application=app).select_related("heading").order_by("position")),
        "documents": list(call.required_documents.order_by("position")),
        "attachments": list(
            Attachment.objects.filter(application=app)
            .select_related("document", "uploaded_by")
            .order_by("uploaded_at", "pk")
        ),
    }


def attachment_list_of(app: Application):
    """The attachments of an application the caller already may see."""
    return Attachment.objects.filter(application=app)


SCREENING_ACTIONS = [
    "mark_eligible",
    "mark_ineligible",
    "request_clarification",
    "answer_clarification",
    "deadline_extend",
    "submit",
    "withdraw",
]


def application_history(app: Application):
    """The application's audit events worth showing on its page, oldest first."""
    return (
        AuditEvent.objects.filter(
            object_type="applications.application", object_id=str(app.pk), action__in=SCREENING_ACTIONS
        )
        .select_related("actor")
        .order_by("seq")
    )


def application_last_screening(app: Application):
    """The latest screening event (its data holds the checklist as ticked), or None."""
    return (
        AuditEvent.objects.filter(
            object_type="applications.application",
            object_id=str(app.pk),
            action__in=["mark_eligible", "mark_ineligible", "request_clarification"],
        )
        .select_related("actor")
        .order_by("-seq")
        .first()
    )


def application_shows_identity(user, app: Application) -> bool:
    """Blind review: reviewers see neither who applies nor the names of the files they sent."""
    return not app.call.blind_review or application_is_member(user, app) or application_is_manager(user, app)


def attachment_neutral_name(attachment: Attachment) -> str:
    kind = BY_CONTENT_TYPE.get(attachment.content_type)
    return f"attachment-{attachment.pk}{kind.extensions[0] if kind else ''}"


def attachment_display_name(user, attachment: Attachment, app: Application | None = None) -> str:
    app = app or attachment.application
    return attachment.original_name if application_shows_identity(user, app) else attachment_neutral_name(attachment)
