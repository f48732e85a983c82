from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.roles import MANAGER, programme_ids
from core.errors import TransitionRefused
from core.forms import form_errors_add

from grants.calls import selectors, services
from grants.calls.forms import CallForm, CancelForm, ContributionFormSet, OverallThresholdForm, ProgrammeForm, template_formsets
from grants.calls.models import Call, Programme


def home(request):
    return render(request, "grants/home.html", {"calls": selectors.call_list_public()})


def _applicant_organisations(user, call):
    """The user's organisations with what stops each of them from applying (empty when eligible)."""
    if not user.is_authenticated:
        return []
    from applications.models import Application, ApplicationState
    from applications.services import organisation_eligibility_problems

    memberships = Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__legal_name")
    existing = dict(Application.objects.filter(call=call, organisation__memberships__user=user)
                    .exclude(state=ApplicationState.WITHDRAWN).values_list("organisation_id", "pk"))
    return [{"organisation": m.organisation, "problems": organisation_eligibility_problems(call, m.organisation),
             "application_id": existing.get(m.organisation_id)} for m in memberships]


def call_detail(request, pk):
    """The public page of a call: every rule, question and document, the deadline and time left."""
    try:
        call = selectors.call_get_visible(request.user, pk)
    except Call.DoesNotExist:
        raise Http404
    parts = selectors.call_template(call)
    return render(request, "grants/call_detail.html", {
        "call": call, "description": call.translated("description"), **parts,
        "tranche_total": sum(t.share_pct for t in parts["tranche_plan"]),
        "rubric_max": sum(c.max_score * c.weight for c in parts["criteria"]),
        "country_names": _country_names(call.eligible_countries),
        "org_type_names": _org_type_names(call.eligible_org_types),
        "organisations": _applicant_organisations(request.user, call),
        "can_manage": request.user.has_perm("grants.manage_call", call),
        "now": timezone.now(),
    })


def _country_names(codes):
    from accounts.orgid import PROGRAMME_COUNTRY_CHOICES

    names = dict(PROGRAMME_COUNTRY_CHOICES)
    return [str(names.get(c, c)) for c in codes]


def _org_type_names(codes):
    from accounts.models import OrganisationType

    names = dict(OrganisationType.choices)
    return [str(names.get(c, c)) for c in codes]


# --- programme managers -----------------------------------------------------------------------

def _require_manager(user):
    if not (user.is_superuser or programme_ids(user, MANAGER)):
        raise Http404


@login_required
def manage_calls(request):
    _require_manager(request.user)
    programmes = list(selectors.programme_list_for(request.user, MANAGER).order_by("code"))
    calls = list(selectors.call_list_managed(request.user))
    by_programme = {p.pk: [] for p in programmes}
    for call in calls:
        by_programme.setdefault(call.programme_id, []).append(call)
    return render(request, "grants/manage_calls.html", {
        "programmes": [(p, by_programme.get(p.pk, [])) for p in programmes]})


def _contributions(formset):
    return [(f.cleaned_data["donor"], f.cleaned_data["amount"]) for f in formset.forms
            if f.cleaned_data.get("donor") and not f.cleaned_data.get("DELETE")]


@login_required
def programme_create(request):
    _require_manager(request.user)
    form = ProgrammeForm(request.POST or None)
    formset = ContributionFormSet(request.POST or None, prefix="donors")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            programme = services.programme_create(actor=request.user, contributions=_contributions(formset),
                                                  **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("The programme %(code)s was created.") % {"code": programme.code})
            return redirect("calls:manage_calls")
    return render(request, "grants/programme_form.html", {"form": form, "formset": formset})


@login_required
def programme_edit(request, pk):
    try:
        programme = selectors.programme_list_for(request.user, MANAGER).get(pk=pk)
    except Programme.DoesNotExist:
        raise Http404
    initial = [{"donor": c.donor, "amount": c.amount.amount} for c in programme.contributions.select_related("donor")]
    form = ProgrammeForm(request.POST or None, instance=Programme.objects.get(pk=programme.pk))
    formset = ContributionFormSet(request.POST or None, prefix="donors", initial=initial)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("code", "currency")}
        try:
            services.programme_update(actor=request.user, programme_id=programme.pk,
                                      contributions=_contributions(formset), **fields)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("calls:manage_calls")
    return render(request, "grants/programme_form.html", {"form": form, "formset": formset, "programme": programme,
                                                          "envelopes_total": programme.envelopes_total})


@login_required
def call_create(request, programme_pk):
    try:
        programme = selectors.programme_list_for(request.user, MANAGER).get(pk=programme_pk)
    except Programme.DoesNotExist:
        raise Http404
    form = CallForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(actor=request.user, programme_id=programme.pk, **form.service_fields())
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("The call was created as a draft. Now add its questions, budget headings, "
                                        "documents, rubric and tranche plan."))
            return redirect("calls:call_template", pk=call.pk)
    return render(request, "grants/call_form.html", {"form": form, "programme": programme})


def _managed_call(request, pk) -> Call:
    try:
        return selectors.call_get_managed(request.user, pk)
    except Call.DoesNotExist:
        raise Http404


@login_required
def call_manage(request, pk):
    call = _managed_call(request, pk)
    parts = selectors.call_template(call)
    from applications.selectors import application_counts_for_call

    return render(request, "grants/call_manage.html", {
        "call": call, **parts,
        "problems": services.call_publish_problems(call) if call.state == "draft" else [],
        "warnings": services.call_template_warnings(call) if call.state == "draft" else [],
        "counts": application_counts_for_call(request.user, call),
        "cancel_form": CancelForm(),
        "tranche_total": sum(t.share_pct for t in parts["tranche_plan"]),
        "rubric_max": sum(c.max_score * c.weight for c in parts["criteria"]),
        "country_names": _country_names(call.eligible_countries),
        "org_type_names": _org_type_names(call.eligible_org_types),
        "programme_left": call.programme.budget.amount - call.programme.envelopes_total,
        "awarded": call.awarded_total,
    })


@login_required
def call_edit(request, pk):
    call = _managed_call(request, pk)
    if call.state != "draft":
        messages.error(request, _("Only a draft call can be changed."))
        return redirect("calls:call_manage", pk=call.pk)
    form = CallForm(request.POST or None, instance=Call.objects.get(pk=call.pk), programme=call.programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_update(actor=request.user, call_id=call.pk, **form.service_fields())
        except ValidationError as exc:
            form_errors_add(form, exc)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("calls:call_manage", pk=call.pk)
    return render(request, "grants/call_form.html", {"form": form, "programme": call.programme, "call": call})


@login_required
def call_template(request, pk):
    call = _managed_call(request, pk)
    if call.state != "draft":
        messages.error(request, _("Only a draft call's template can be changed."))
        return redirect("calls:call_manage", pk=call.pk)
    parts = selectors.call_template(call)
    data = request.POST if request.method == "POST" else None
    formsets = template_formsets(call, parts, data)
    threshold = OverallThresholdForm(data, initial={"overall_threshold": call.overall_threshold})
    errors = []
    if request.method == "POST":
        if all(fs.is_valid() for fs in formsets.values()) and threshold.is_valid():
            rows = {part: [f.row() for f in fs.ordered_forms] for part, fs in formsets.items()}
            try:
                services.call_template_save(actor=request.user, call_id=call.pk,
                                           overall_threshold=threshold.cleaned_data["overall_threshold"], **rows)
            except ValidationError as exc:
                errors = exc.messages
            except TransitionRefused as exc:
                errors = [exc.message]
            else:
                messages.success(request, _("The call's template was saved."))
                return redirect("calls:call_manage", pk=call.pk)
        else:
            errors = [_("Some rows need attention; see the messages next to them.")]
    return render(request, "grants/call_template.html", {"call": call, "formsets": formsets, "threshold": threshold,
                                                         "errors": errors})


@login_required
@require_POST
def call_publish(request, pk):
    call = _managed_call(request, pk)
    try:
        services.call_publish(actor=request.user, call_id=call.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        raise Http404
    else:
        services.calls_open_close()
        messages.success(request, _("The call is published. It opens for applications at its opening time."))
    return redirect("calls:call_manage", pk=call.pk)


@login_required
@require_POST
def call_cancel(request, pk):
    call = _managed_call(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the call is cancelled."))
        return redirect("calls:call_manage", pk=call.pk)
    try:
        services.call_cancel(actor=request.user, call_id=call.pk, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The call was cancelled."))
    return redirect("calls:call_manage", pk=call.pk)
