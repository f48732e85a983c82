"""The eligibility check of a call, answered before a draft exists: an organisation that does
not qualify is told why (and can still read the call); one that does gets its draft, with the
answers kept in it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Membership
from applications import services
from core.errors import TransitionRefused
from core.shortcuts import get_visible_or_404
from grants.calls import selectors as call_selectors
from grants.calls.form.eligibility import eligibility_answers
from grants.calls.form.layout import form_load
from grants.calls.form.models import FormPurpose
from grants.calls.form.render import field_name, form_items, posted_answers


def has_eligibility_check(call) -> bool:
    return bool(form_load(call.pk, FormPurpose.ELIGIBILITY).answerable)


@login_required
def call_eligibility(request, pk):
    call = get_visible_or_404(call_selectors.call_list_visible(request.user), pk)
    check = form_load(call.pk, FormPurpose.ELIGIBILITY)
    if not check.answerable:
        return redirect("applications:call_detail", pk=call.pk)
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("organisation").order_by("organisation__legal_name")
    )
    if not memberships:
        messages.error(request, _("Register your organisation first; then you can apply on its behalf."))
        return redirect("applications:call_detail", pk=call.pk)
    chosen = request.POST.get("organisation") or request.GET.get("organisation") or str(memberships[0].organisation_id)
    reasons, values, errors = [], {}, {}
    if request.method == "POST":
        fields = posted_answers(request.POST, check.questions)
        answers, errors = eligibility_answers(check, fields)
        values = {field_name(q): answers.get(str(q.pk), fields.get(field_name(q), "")) for q in check.answerable}
        if not chosen.isdigit():
            messages.error(request, _("Choose the organisation that applies."))
        else:
            try:
                app, _created = services.application_start(
                    actor=request.user, call_id=call.pk, organisation_id=int(chosen), eligibility=fields
                )
            except PermissionDenied:
                messages.error(request, _("Only members of the organisation can apply on its behalf."))
            except TransitionRefused as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                if not errors:
                    reasons = exc.messages
            else:
                messages.success(request, _("Your organisation qualifies for this call; here is its draft."))
                return redirect("applications:application_edit", pk=app.pk)
    return render(
        request,
        "applications/call_eligibility.html",
        {
            "call": call,
            "form_parts": form_items(check, values, errors=errors),
            "organisations": [m.organisation for m in memberships],
            "chosen": chosen,
            "reasons": reasons,
            "currency": call.envelope.currency,
        },
        status=200,
    )
