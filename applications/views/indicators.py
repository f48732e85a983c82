"""The applicant's proposed indicators: a table of baseline, target and means of verification,
each row linked to one of the programme indicators the call contributes to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from applications.forms import ProposedIndicatorFormSet
from applications.models import ApplicationState
from applications.services import EDIT
from applications.services.indicators import proposed_indicators_save
from applications.views.drafts import _report, _visible
from core.errors import TransitionRefused


@login_required
def application_indicators(request, pk):
    app = _visible(request, pk)
    editable = app.state == ApplicationState.DRAFT and request.user.has_perm(EDIT, app)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    links = [(i.pk, str(i)) for i in app.call.indicators.order_by("position", "code")]
    rows = list(app.proposed_indicators.select_related("programme_indicator").order_by("position"))
    initial = [
        {
            "programme_indicator": r.programme_indicator_id,
            "name": r.name,
            "unit": r.unit,
            "baseline": r.baseline,
            "target": r.target,
            "means_of_verification": r.means_of_verification,
        }
        for r in rows
    ]
    formset = ProposedIndicatorFormSet(
        request.POST or None, initial=initial, prefix="ind", form_kwargs={"links": links}
    )
    if request.method == "POST" and formset.is_valid():
        try:
            proposed_indicators_save(
                actor=request.user, application_id=app.pk, rows=[f.cleaned_data for f in formset.forms]
            )
        except (ValidationError, TransitionRefused) as exc:
            _report(request, exc)
        else:
            messages.success(request, _("The indicators were saved."))
            return redirect("applications:application_indicators", pk=app.pk)
    return render(
        request,
        "applications/application_indicators.html",
        {"app": app, "rows": rows, "formset": formset, "editable": editable, "links": links},
    )
