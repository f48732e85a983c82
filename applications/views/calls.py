"""A call's pages seen from applying: the public page of a call, with what keeps each of the
visitor's organisations from applying, and the manager's page of a call, with its applications
counted. They read applications, which come after calls, so they live here."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Membership, OrganisationType
from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from applications.call_questions import services as qa_services
from applications.call_questions.forms import AskForm
from applications.models import Application, ApplicationState
from applications.selectors import application_counts_for_call
from applications.services import call_dates, organisation_eligibility_problems
from grants.calls import selectors as call_selectors
from grants.calls import services as call_services
from grants.calls.form.layout import form_load
from grants.calls.form.models import FormPurpose
from grants.calls.forms import CancelForm, CloseEarlyForm, NewDeadlineForm
from grants.calls.models import Call


def _managed_call(request, pk) -> Call:
    try:
        return call_selectors.call_get_managed(request.user, pk)
    except Call.DoesNotExist:
        raise Http404


def _country_names(codes):
    names = dict(PROGRAMME_COUNTRY_CHOICES)
    return [str(names.get(c, c)) for c in codes]


def _org_type_names(codes):
    names = dict(OrganisationType.choices)
    return [str(names.get(c, c)) for c in codes]


def _applicant_organisations(user, call):
    """The user's organisations with what stops each of them from applying (empty when eligible)."""
    if not user.is_authenticated:
        return []
    memberships = (
        Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__legal_name")
    )
    existing = dict(
        Application.objects.filter(call=call, organisation__memberships__user=user)
        .exclude(state=ApplicationState.WITHDRAWN)
        .values_list("organisation_id", "pk")
    )
    return [
        {
            "organisation": m.organisation,
            "problems": organisation_eligibility_problems(call, m.organisation),
            "application_id": existing.get(m.organisation_id),
        }
        for m in memberships
    ]


def call_detail(request, pk):
    """The public page of a call: every rule, question and document, the deadline and time left."""
    try:
        call = call_selectors.call_get_visible(request.user, pk)
    except Call.DoesNotExist:
        raise Http404
    parts = call_selectors.call_template(call)
    return render(
        request,
        "grants/call_detail.html",
        {
            "call": call,
            "description": call.description,
            **parts,
            # the whole form, as typed questions in order (the documents are listed apart)
            "questions": list(form_load(call.pk).answerable),
            "eligibility_questions": form_load(call.pk, FormPurpose.ELIGIBILITY).answerable,
            "tranche_total": sum(t.share_pct for t in parts["tranche_plan"]),
            "rubric_max": sum(c.max_score * c.weight for c in parts["criteria"]),
            "country_names": _country_names(call.eligible_countries),
            "org_type_names": _org_type_names(call.eligible_org_types),
            "organisations": _applicant_organisations(request.user, call),
            "can_manage": request.user.has_perm("grants.manage_call", call),
            "now": timezone.now(),
            # Questions and answers (applications.call_questions)
            "published_questions": qa_services.published_questions(call),
            "ask_form": AskForm(initial={"text": request.session.pop("call_question_draft", "")}),
            "questions_until": qa_services.questions_until(call),
            "answers_until": qa_services.answers_until(call),
            "asking_open": call.state in qa_services.ASKING_STATES
            and timezone.now() <= qa_services.questions_until(call),
        },
    )


@login_required
def call_manage(request, pk):
    call = _managed_call(request, pk)
    parts = call_selectors.call_template(call)
    return render(
        request,
        "grants/call_manage.html",
        {
            "call": call,
            **parts,
            "problems": call_services.call_publish_problems(call) if call.state == "draft" else [],
            "warnings": call_services.call_template_warnings(call) if call.state == "draft" else [],
            "counts": application_counts_for_call(request.user, call),
            "cancel_form": CancelForm(),
            "full_call": Call.objects.filter(concept_call=call).first(),
            "close_form": CloseEarlyForm(prefix="close"),
            "extend_form": NewDeadlineForm(prefix="extend", initial={"deadline": call.deadline}),
            "reopen_form": NewDeadlineForm(prefix="reopen"),
            "now": timezone.now(),
            "reopen_until": call.closed_at + call_dates.REOPEN_GRACE if call.closed_at else None,
            "tranche_total": sum(t.share_pct for t in parts["tranche_plan"]),
            "rubric_max": sum(c.max_score * c.weight for c in parts["criteria"]),
            "country_names": _country_names(call.eligible_countries),
            "org_type_names": _org_type_names(call.eligible_org_types),
            "programme_left": call.programme.budget.amount - call.programme.envelopes_total,
            "awarded": call.awarded_total,
        },
    )
