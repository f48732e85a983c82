"""The shortlist page of a two-stage call: reviewed concept notes by rank, ticked by the manager,
with the requested total against the envelope shown live (PRAG: about twice the envelope)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.review import selectors, services
from applications.review.ranking import call_ranking
from core.forms import TextCleaning, form_run
from grants.calls.forms import TIME_ZONES, ZonedDateTimeField, zoned

SHORTLIST_ROWS = 500  # concept notes shown at once (a call's whole first stage)


class ShortlistForm(TextCleaning, forms.Form):
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=TIME_ZONES)
    deadline = ZonedDateTimeField(label=gettext_lazy("Deadline of the full applications"))
    note = forms.CharField(
        label=gettext_lazy("Note to every organisation (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("deadline") is not None:
            data["deadline"] = zoned(data["deadline"], data.get("time_zone") or "Europe/Kyiv")
        return data


@login_required
def review_shortlist(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    if not call.is_concept_stage:
        raise Http404
    _rubric, ranking = call_ranking(call, page=1, npage=1, size=SHORTLIST_ROWS)
    rows = [
        a
        for a in list(ranking.fundable.object_list) + list(ranking.not_fundable.object_list)
        if a.row.state in services.shortlist.CANDIDATES
    ]
    envelope = call.envelope.amount
    # PRAG's guidance as the starting point: the best fundable concept notes up to twice the envelope.
    ticked, total = set(), Decimal("0")
    for a in ranking.fundable.object_list:
        requested = a.row.requested or Decimal("0")
        if a.row.state in services.shortlist.CANDIDATES and total + requested <= envelope * services.PRAG_RATIO:
            ticked.add(a.id)
            total += requested
    form = ShortlistForm(request.POST or None, initial={"time_zone": "Europe/Kyiv"})
    if request.method == "POST":
        ticked = {int(pk) for pk in request.POST.getlist("application") if pk.isdigit()}
        if form.is_valid():
            done, result = form_run(
                form,
                services.shortlist_invite,
                actor=request.user,
                call_id=call.pk,
                application_ids=ticked,
                deadline=form.cleaned_data["deadline"],
                note=form.cleaned_data["note"],
            )
            if done:
                messages.success(
                    request,
                    _(
                        "%(invited)s concept notes invited, %(others)s not; the full applications are open until "
                        "their deadline. The shortlist asks for %(ratio)s× the envelope."
                    )
                    % {"invited": result.invited, "others": result.not_invited, "ratio": result.ratio},
                )
                return redirect("applications:call_manage", pk=result.full_call.pk)
    return render(
        request,
        "reviews/shortlist.html",
        {
            "call": call,
            "rows": rows,
            "ticked": ticked,
            "form": form,
            "envelope": envelope,
            "currency": call.envelope.currency,
            "prag_ratio": services.PRAG_RATIO,
            "state": call.state,
        },
    )
