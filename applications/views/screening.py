"""Pages for programme managers: screening one application, extending one applicant's deadline,
and a call's applications (a list and a spreadsheet). Applications are fetched through the
visibility selectors: what a user may not see answers 404; what they may see but not do, 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import exports, selectors, services
from applications.forms import ApplicationFilterForm, ClarificationForm, EligibleForm, ExtendForm, IneligibleForm
from applications.services import SCREEN
from applications.views.drafts import _report, _visible
from audit.lists import CountReusingPaginator
from core.errors import TransitionRefused
from core.sorting import sort_apply
from grants.calls import selectors as call_selectors
from grants.calls.form.checklist import checklist_items
from grants.calls.models import Call

SCREEN_ACTIONS = {"eligible", "ineligible", "clarification"}


@login_required
@require_POST
def application_screen(request, pk, action):
    app = _visible(request, pk)
    if action not in SCREEN_ACTIONS:
        raise Http404
    if not request.user.has_perm(SCREEN, app):
        raise PermissionDenied
    checklist = EligibleForm(request.POST, prefix="el", items=checklist_items(app.call_id))
    checklist.is_valid()
    ticked = checklist.checklist()
    try:
        if action == "eligible":
            services.application_mark_eligible(
                actor=request.user,
                application_id=app.pk,
                checklist=ticked,
                comment=checklist.cleaned_data.get("comment", ""),
            )
            messages.success(request, _("The application is eligible."))
        elif action == "ineligible":
            form = IneligibleForm(request.POST, prefix="in")
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.application_mark_ineligible(
                actor=request.user, application_id=app.pk, reason=reason, checklist=ticked
            )
            messages.success(request, _("The application is marked ineligible; the applicant is told why."))
        else:
            form = ClarificationForm(request.POST, prefix="cl")
            if not form.is_valid():
                raise ValidationError([e for errs in form.errors.values() for e in errs])
            services.application_request_clarification(
                actor=request.user,
                application_id=app.pk,
                checklist=ticked,
                question=form.cleaned_data["question"],
                due=form.cleaned_data["due"],
            )
            messages.success(request, _("The applicant was asked to clarify."))
    except (TransitionRefused, ValidationError) as exc:
        _report(request, exc)
    return redirect("applications:application_detail", pk=app.pk)


@login_required
@require_POST
def application_extend(request, pk):
    app = _visible(request, pk)
    if not request.user.has_perm(SCREEN, app):
        raise PermissionDenied
    form = ExtendForm(request.POST, prefix="ex")
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect("applications:application_detail", pk=app.pk)
    try:
        services.application_deadline_extend(
            actor=request.user,
            application_id=app.pk,
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
        )
    except (TransitionRefused, ValidationError) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("This applicant's deadline was extended."))
    return redirect("applications:application_detail", pk=app.pk)


def _managed_call(request, pk) -> Call:
    # grants.calls offers this one call (DoesNotExist) but no plain queryset of the calls a user
    # manages for get_visible_or_404 (call_list_managed adds application counts).
    try:
        return call_selectors.call_get_managed(request.user, pk)
    except Call.DoesNotExist:
        raise Http404


@login_required
def call_applications(request, pk):
    call = _managed_call(request, pk)
    form = ApplicationFilterForm(request.GET or None)
    filters = form.filters()
    listed, sorted_by = sort_apply(
        selectors.application_list_for_call(request.user, call, **filters),
        request.GET.get("sort"),
        selectors.APPLICATION_SORTS,
    )
    page = CountReusingPaginator(listed, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "applications/call_applications.html",
        {
            "call": call,
            "form": form,
            "page": page,
            "counts": selectors.application_counts_for_call(request.user, call),
            "query": query.urlencode(),
            "filters": filters,
            "sorted": sorted_by,
            "eligible_form": EligibleForm(prefix=None, items=checklist_items(call.pk)),
        },
    )


@login_required
def call_applications_export(request, pk, fmt):
    if fmt not in exports.FORMATS:
        raise Http404
    call = _managed_call(request, pk)
    filters = ApplicationFilterForm(request.GET or None).filters()
    listed, _sorted = sort_apply(
        selectors.application_list_for_call(request.user, call, **filters),
        request.GET.get("sort"),
        selectors.APPLICATION_SORTS,
    )
    headers, rows = exports.call_applications_table(listed, call)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.response(fmt, headers, rows, call.code, f"{call.code}-applications-{stamp}.{fmt}")
