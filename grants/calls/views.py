from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OrganisationType, ProgrammeRole
from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from accounts.roles import MANAGER, programme_ids
from core.errors import TransitionRefused
from core.forms import form_errors_add, form_run, message_run
from core.languages import language_label, main_language
from core.pagination import page_of
from grants.calls import alerts, copying, indicators, selectors, services, team, texts
from grants.calls.forms import (
    CallAlertForm,
    CallForm,
    CancelForm,
    ContributionFormSet,
    OverallThresholdForm,
    ProgrammeForm,
    ProgrammeIndicatorForm,
    TeamInviteForm,
    TeamRoleForm,
    template_formsets,
)
from grants.calls.models import Call, CallAlert, Programme


def home(request):
    return render(
        request,
        "grants/home.html",
        {"calls": page_of(request, selectors.call_list_public().order_by("deadline", "pk"))},
    )


# --- programme managers -----------------------------------------------------------------------


def _require_manager(user):
    if not (user.is_superuser or programme_ids(user, MANAGER)):
        raise Http404


@login_required
def manage_calls(request):
    _require_manager(request.user)
    programmes = list(selectors.programme_list_for(request.user, MANAGER).order_by("code"))
    calls = page_of(request, selectors.call_list_for_manager(request.user))
    counts = selectors.call_counts_current(request.user, calls)
    by_programme = {p.pk: [] for p in programmes}
    for call in calls:
        call.application_count, call.draft_count = counts.get(call.pk, (0, 0))
        by_programme.setdefault(call.programme_id, []).append(call)
    return render(
        request,
        "grants/manage_calls.html",
        {"programmes": [(p, by_programme.get(p.pk, [])) for p in programmes], "calls": calls},
    )


def _contributions(formset):
    return [
        (f.cleaned_data["donor"], f.cleaned_data["amount"])
        for f in formset.forms
        if f.cleaned_data.get("donor") and not f.cleaned_data.get("DELETE")
    ]


@login_required
def programme_create(request):
    _require_manager(request.user)
    form = ProgrammeForm(request.POST or None)
    formset = ContributionFormSet(request.POST or None, prefix="donors")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            programme = services.programme_create(
                actor=request.user, contributions=_contributions(formset), **form.cleaned_data
            )
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
            services.programme_update(
                actor=request.user, programme_id=programme.pk, contributions=_contributions(formset), **fields
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("calls:manage_calls")
    return render(
        request,
        "grants/programme_form.html",
        {"form": form, "formset": formset, "programme": programme, "envelopes_total": programme.envelopes_total},
    )


@login_required
def programme_indicators(request, pk, indicator_pk=None):
    """The programme's results framework: its indicators, a form to add one or change one."""
    try:
        programme = selectors.programme_list_for(request.user, MANAGER).get(pk=pk)
    except Programme.DoesNotExist:
        raise Http404
    rows = list(programme.indicators.order_by("position", "code"))
    instance = next((i for i in rows if i.pk == indicator_pk), None)
    if indicator_pk is not None and instance is None:
        raise Http404
    form = ProgrammeIndicatorForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        done, _indicator = form_run(
            form,
            indicators.programme_indicator_save,
            actor=request.user,
            programme_id=programme.pk,
            indicator_id=indicator_pk,
            **form.cleaned_data,
        )
        if done:
            messages.success(request, _("The indicator was saved."))
            return redirect("calls:programme_indicators", pk=programme.pk)
    return render(
        request,
        "grants/programme_indicators.html",
        {"programme": programme, "indicators": rows, "form": form, "editing": instance},
    )


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
            messages.success(
                request,
                _(
                    "The call was created as a draft. Now add its questions, budget headings, "
                    "documents, rubric and tranche plan."
                ),
            )
            return redirect("calls:call_template", pk=call.pk)
    return render(request, "grants/call_form.html", {"form": form, "programme": programme})


def _managed_call(request, pk) -> Call:
    try:
        return selectors.call_get_managed(request.user, pk)
    except Call.DoesNotExist:
        raise Http404


@login_required
def call_edit(request, pk):
    call = _managed_call(request, pk)
    if call.state != "draft":
        messages.error(request, _("Only a draft call can be changed."))
        return redirect("applications:call_manage", pk=call.pk)
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
            return redirect("applications:call_manage", pk=call.pk)
    return render(request, "grants/call_form.html", {"form": form, "programme": call.programme, "call": call})


@login_required
def call_template(request, pk):
    call = _managed_call(request, pk)
    if call.state != "draft":
        messages.error(request, _("Only a draft call's template can be changed."))
        return redirect("applications:call_manage", pk=call.pk)
    parts = selectors.call_template(call)
    data = request.POST if request.method == "POST" else None
    formsets = template_formsets(call, parts, data)
    threshold = OverallThresholdForm(data, initial={"overall_threshold": call.overall_threshold})
    errors = []
    if request.method == "POST":
        if all(fs.is_valid() for fs in formsets.values()) and threshold.is_valid():
            rows = {part: [f.row() for f in fs.ordered_forms] for part, fs in formsets.items()}
            try:
                services.call_template_save(
                    actor=request.user,
                    call_id=call.pk,
                    overall_threshold=threshold.cleaned_data["overall_threshold"],
                    **rows,
                )
            except ValidationError as exc:
                errors = exc.messages
            except TransitionRefused as exc:
                errors = [exc.message]
            else:
                messages.success(request, _("The call's template was saved."))
                return redirect("applications:call_manage", pk=call.pk)
        else:
            errors = [_("Some rows need attention; see the messages next to them.")]
    return render(
        request,
        "grants/call_template.html",
        {"call": call, "formsets": formsets, "threshold": threshold, "errors": errors},
    )


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
    return redirect("applications:call_manage", pk=call.pk)


@login_required
@require_POST
def call_cancel(request, pk):
    call = _managed_call(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the call is cancelled."))
        return redirect("applications:call_manage", pk=call.pk)
    try:
        services.call_cancel(actor=request.user, call_id=call.pk, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The call was cancelled."))
    return redirect("applications:call_manage", pk=call.pk)


# --- a programme's team -------------------------------------------------------------------------


def _team_programme(request, pk) -> Programme:
    """The programme whose team the user manages: 404 for one they cannot see at all, 403 for one
    they see (finance, donors) but do not manage."""
    programme = Programme.objects.filter(pk=pk).first()
    if programme is None or not request.user.has_perm("grants.view_programme", programme):
        raise Http404
    if not request.user.has_perm("grants.manage_programme", programme):
        raise PermissionDenied
    return programme


@login_required
def programme_team(request, pk):
    programme = _team_programme(request, pk)
    form = TeamInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done, held = form_run(
            form, team.team_invite, actor=request.user, programme_id=programme.pk, **form.cleaned_data
        )
        if done:
            messages.success(
                request,
                _("%(person)s is now %(role)s in this programme; they have been told by e-mail.")
                % {"person": held.user.email, "role": held.get_role_display()},
            )
            return redirect("calls:programme_team", programme.pk)
    people = team.team_of(programme)
    return render(
        request,
        "grants/programme_team.html",
        {
            "programme": programme,
            "form": form,
            "groups": [(role, ProgrammeRole.Role(role).label, people[role]) for role in team.ROLE_ORDER],
            "role_form": TeamRoleForm(),
        },
    )


@login_required
@require_POST
def programme_team_change(request, pk, role_id):
    programme = _team_programme(request, pk)
    form = TeamRoleForm(request.POST)
    if form.is_valid():
        done, _held = message_run(
            request,
            team.team_role_change,
            actor=request.user,
            programme_id=programme.pk,
            role_id=role_id,
            **form.cleaned_data,
        )
        if done:
            messages.success(request, _("Role changed."))
    else:
        messages.error(request, _("Choose one of the roles offered."))
    return redirect("calls:programme_team", programme.pk)


@login_required
@require_POST
def programme_team_end(request, pk, role_id):
    programme = _team_programme(request, pk)
    done, _result = message_run(
        request, team.team_role_end, actor=request.user, programme_id=programme.pk, role_id=role_id
    )
    if done:
        messages.success(request, _("Role ended. The person keeps their account; what they did stays on record."))
    return redirect("calls:programme_team", programme.pk)


# --- texts in every language, side by side ----------------------------------------------------


def _texts_page(request, owner, back_url):
    rows = texts.text_rows(owner)
    form = texts.TextsForm(rows, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = texts.texts_save(actor=request.user, owner=owner, values=form.cleaned_data)
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return redirect(back_url)
            messages.success(request, _("Translations saved.") if changed else _("Nothing was changed."))
            return redirect(request.path)
        messages.error(request, _("Some texts need attention; see the messages next to them."))
    only_missing = request.GET.get("show") == "missing"
    grid = form.grid()
    if only_missing:
        grid = [(row, cells) for row, cells in grid if any(not row.values[code].strip() for code, _cell in cells)]
    return render(
        request,
        "grants/texts.html",
        {
            "owner": owner,
            "grid": grid,
            "form": form,
            "missing": texts.missing_counts(rows),
            "only_missing": only_missing,
            "back_url": back_url,
            "main_language": language_label(main_language()),
            "main_code": main_language(),
        },
    )


@login_required
def programme_texts(request, pk):
    try:
        programme = selectors.programme_list_for(request.user, MANAGER).get(pk=pk)
    except Programme.DoesNotExist:
        raise Http404
    return _texts_page(request, programme, reverse("calls:programme_edit", args=[programme.pk]))


@login_required
def call_texts(request, pk):
    call = _managed_call(request, pk)
    return _texts_page(request, call, reverse("applications:call_manage", args=[call.pk]))


# --- call alerts ------------------------------------------------------------------------------


@login_required
def call_alerts(request):
    """The calls a person follows, and a form to follow more; told when a matching call opens."""
    programmes = Programme.objects.filter(calls__state__in=["published", "open", "closed", "reviewing", "decided"])
    form = CallAlertForm(request.POST or None, programmes=programmes.distinct())
    if request.method == "POST":
        if "delete" in request.POST:
            message_run(request, alerts.alert_delete, actor=request.user, alert_id=int(request.POST["delete"] or 0))
            return redirect("calls:call_alerts")
        if form.is_valid():
            done, _alert = form_run(form, alerts.alert_create, actor=request.user, **form.cleaned_data)
            if done:
                messages.success(request, _("You will be told when a matching call opens."))
                return redirect("calls:call_alerts")
    countries, org_types = dict(PROGRAMME_COUNTRY_CHOICES), dict(OrganisationType.choices)
    followed = [
        (
            a,
            [str(countries.get(c, c)) for c in a.countries],
            [str(org_types.get(t, t)) for t in a.org_types],
        )
        for a in CallAlert.objects.filter(user=request.user).select_related("programme")
    ]
    return render(request, "grants/call_alerts.html", {"form": form, "followed": followed})


@login_required
@require_POST
def call_copy(request, pk):
    """A new draft call from this one's terms and template (grants.calls.copying)."""
    call = _managed_call(request, pk)
    done, copy = message_run(
        request, copying.call_copy, actor=request.user, call_id=call.pk, code=request.POST.get("code", "")
    )
    if not done:
        return redirect("applications:call_manage", pk=call.pk)
    messages.success(
        request, _("The call was copied as a draft; change its dates and anything else before publishing it.")
    )
    return redirect("applications:call_manage", pk=copy.pk)
