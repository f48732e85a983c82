"""A manager acts on the applications selected in a call's list: screen them as eligible with one
checklist, or export them. (Assigning a reviewer to the selected is the review area's:
`reviews:review_call_assign_selected`.)"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from applications import exports, services
from applications.forms import EligibleForm
from applications.views.screening import _managed_call
from core.bulk import bulk_report
from core.forms import error_text
from grants.calls.form.checklist import checklist_items


def _back(request, call):
    """The list as the manager left it (filters, search, order, page)."""
    query = QueryDict(request.POST.get("query", ""), mutable=True)
    url = reverse("applications:call_applications", args=[call.pk])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def application_label(app) -> str:
    return app.reference or app.title


@login_required
@require_POST
def call_applications_bulk(request, pk):
    call = _managed_call(request, pk)
    action = request.POST.get("action", "")
    ids = request.POST.getlist("ids")
    try:
        if action in exports.FORMATS:
            selected = services.applications_selected(actor=request.user, call_id=call.pk, application_ids=ids)
            headers, rows = exports.call_applications_table(selected, call)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return exports.response(
                action, headers, rows, call.code, f"{call.code}-applications-selected-{stamp}.{action}"
            )
        if action == "eligible":
            form = EligibleForm(request.POST, items=checklist_items(call.pk))
            form.is_valid()  # only booleans and an optional note: nothing to refuse here
            result = services.applications_mark_eligible(
                actor=request.user,
                call_id=call.pk,
                application_ids=ids,
                checklist=form.checklist(),
                comment=form.cleaned_data.get("comment", ""),
            )
            n = len(result.done)
            done = ngettext("%(n)s application marked eligible.", "%(n)s applications marked eligible.", n) % {"n": n}
            bulk_report(request, result, done, application_label)
        else:
            messages.error(request, _("Choose what to do with the selected applications."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _back(request, call)
