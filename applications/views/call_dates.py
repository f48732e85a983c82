"""The manager's buttons for a call's dates: close early, extend the deadline, reopen."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from applications.services import call_dates
from applications.views.calls import _managed_call
from core.errors import TransitionRefused
from core.forms import error_text
from grants.calls.forms import CloseEarlyForm, NewDeadlineForm

ACTIONS = {
    "close": (CloseEarlyForm, call_dates.call_close_early, _("The call was closed.")),
    "extend": (NewDeadlineForm, call_dates.call_extend, _("The deadline was moved for everyone.")),
    "reopen": (NewDeadlineForm, call_dates.call_reopen, _("The call is open again.")),
}


@login_required
@require_POST
def call_dates_change(request, pk, action):
    call = _managed_call(request, pk)
    if action not in ACTIONS:
        raise Http404
    form_class, service, done = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("applications:call_manage", pk=call.pk)
    fields = {k: v for k, v in form.cleaned_data.items() if k != "time_zone"}
    try:
        service(actor=request.user, call_id=call.pk, **fields)
    except (ValidationError, TransitionRefused) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, str(done))
    return redirect("applications:call_manage", pk=call.pk)
