"""Pages for grant agreements, tranches, payments, the finance overview and exchange rates.

Thin: parse, call a service or a selector, render. A grant the user may not see is a 404; an
action their role does not allow is a 403; an action the state no longer allows is a message."""

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import FINANCE, MANAGER, programme_ids
from applications.models import Application
from applications.visibility import application_can_view
from core.errors import TransitionRefused
from core.forms import form_errors_add
from grants.agreements import selectors as agreements_selectors
from grants.agreements.forms import ReasonForm
from grants.agreements.models import GrantState
from grants.agreements.views import _visible_grant
from grants.disbursement import lifecycle as disbursement_lifecycle
from grants.disbursement import selectors as disbursement_selectors
from grants.disbursement import services as disbursement_services
from grants.disbursement.forms import ExchangeRateForm, GrantCreateForm, PaymentForm, SignForm
from grants.disbursement.models import Tranche, TrancheState
from reporting.grantee.results import grant_results


def _visible_tranche(request: HttpRequest, pk: int) -> Tranche:
    try:
        return disbursement_selectors.tranche_list_visible(request.user).get(pk=pk)
    except Tranche.DoesNotExist:
        raise Http404


@login_required
def grant_create(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.select_related("call", "organisation"), pk=application_id)
    if not request.user.has_perm("grants.create_grant", application.call):
        raise Http404
    form = GrantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = disbursement_lifecycle.grant_create_from_application(
                actor=request.user, application_id=application.pk, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Draft agreement %(number)s is ready. Check the budget, then record the signature.")
                % {"number": grant.number},
            )
            return redirect("grants:grant_detail", pk=grant.pk)
    return render(request, "grants/grant_create.html", {"application": application, "form": form})


@login_required
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _visible_grant(request, pk)
    user = request.user
    context = disbursement_selectors.grant_detail(grant)
    for tranche in context["tranches"]:
        tranche.grant = grant
        tranche.actions = disbursement_selectors.tranche_available_transitions(tranche, user)
    for version in context["versions"]:
        version.grant = grant
        version.actions = agreements_selectors.amendment_available_transitions(version, user)
    can_manage = user.has_perm("grants.manage_grant", grant)
    context.update(
        {
            "grant": grant,
            "actions": disbursement_selectors.grant_available_transitions(grant, user),
            "can_manage": can_manage,
            "can_change_budget": (
                user.has_perm("grants.change_grant_budget", grant)
                and grant.state in (GrantState.ACTIVE, GrantState.SUSPENDED)
            ),
            "can_see_history": can_manage or user.has_perm("grants.pay_tranche", grant) or user.is_superuser,
            "can_see_reports": user.has_perm("reporting.view_report", grant),
            "indicators": grant_results([grant.pk])[grant.pk],
            # Finance officers and donors see the grant, not the application behind it: no link
            # that would answer 404.
            "can_see_application": grant.application_id is not None and application_can_view(user, grant.application),
            "reason_form": ReasonForm(),  # type: ignore[no-untyped-call]
        }
    )
    return render(request, "grants/grant_detail.html", context)


@login_required
def grant_sign(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _visible_grant(request, pk)
    if not request.user.has_perm("grants.manage_grant", grant):
        raise PermissionDenied
    form = SignForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            disbursement_lifecycle.grant_sign(
                actor=request.user,
                grant_id=grant.pk,
                document=form.cleaned_data["document"],
                signed_on=form.cleaned_data.get("signed_on"),
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The signature is recorded; the grant is active."))
            return redirect("grants:grant_detail", pk=grant.pk)
    return render(request, "grants/grant_sign.html", {"grant": grant, "form": form})


GRANT_ACTIONS = {  # lazy: the message is read in the language of the request that shows it
    "suspend": (disbursement_lifecycle.grant_suspend, True, gettext_lazy("The grant is suspended.")),
    "resume": (disbursement_lifecycle.grant_resume, False, gettext_lazy("The grant is active again.")),
    "terminate": (
        disbursement_lifecycle.grant_terminate,
        True,
        gettext_lazy("The grant is terminated; its remaining tranches are cancelled."),
    ),
    "close": (disbursement_lifecycle.grant_close, False, gettext_lazy("The grant is closed.")),
}


@login_required
@require_POST
def grant_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    grant = _visible_grant(request, pk)
    if action not in GRANT_ACTIONS:
        raise Http404
    service, reason_required, done = GRANT_ACTIONS[action]
    form = ReasonForm(request.POST, required=reason_required)  # type: ignore[no-untyped-call]
    if not form.is_valid():
        messages.error(request, _("Say why."))
        return redirect("grants:grant_detail", pk=grant.pk)
    try:
        service(actor=request.user, grant_id=grant.pk, reason=form.cleaned_data["reason"])
    except (ValidationError, TransitionRefused) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(getattr(exc, "message", exc))])))
    else:
        messages.success(request, str(done))
    return redirect("grants:grant_detail", pk=grant.pk)


@login_required
@require_POST
def grant_check_conditions(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _visible_grant(request, pk)
    if not request.user.has_perm("grants.manage_grant", grant):
        raise PermissionDenied
    made = disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=request.user)
    if made:
        messages.success(request, _("Now due: tranche %(list)s.") % {"list": ", ".join(str(t.position) for t in made)})
    else:
        messages.info(request, _("No tranche condition is newly met."))
    return redirect("grants:grant_detail", pk=grant.pk)


@login_required
@require_POST
def tranche_approve(request: HttpRequest, pk: int) -> HttpResponse:
    tranche = _visible_tranche(request, pk)
    try:
        disbursement_services.tranche_approve(
            actor=request.user, tranche_id=tranche.pk, reason=request.POST.get("reason", "").strip()
        )
    except (ValidationError, TransitionRefused) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(getattr(exc, "message", exc))])))
    else:
        messages.success(request, _("Tranche %(position)s is approved for payment.") % {"position": tranche.position})
    return redirect("grants:grant_detail", pk=tranche.grant_id)


@login_required
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    tranche = _visible_tranche(request, pk)
    if not request.user.has_perm("grants.pay_tranche", tranche):
        raise PermissionDenied
    grant = tranche.grant
    form = PaymentForm(request.POST or None, initial={"amount": tranche.due_amount, "currency": grant.currency})
    four_eyes = tranche.approved_by_id == request.user.pk
    if request.method == "POST" and form.is_valid():
        try:
            disbursement_services.payment_record(actor=request.user, tranche_id=tranche.pk, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        except (TransitionRefused, PermissionDenied) as exc:
            form.add_error(None, str(getattr(exc, "message", exc)))
        else:
            messages.success(
                request, _("The payment of tranche %(position)s is recorded.") % {"position": tranche.position}
            )
            return redirect("grants:grant_detail", pk=grant.pk)
    rates = disbursement_selectors.exchange_rate_list(limit=12)
    return render(
        request,
        "grants/finance_payment_form.html",
        {
            "tranche": tranche,
            "grant": grant,
            "form": form,
            "four_eyes": four_eyes,
            "rates": rates,
            "payable": tranche.state == TrancheState.APPROVED,
        },
    )


@login_required
def finance_overview(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("grants.view_finance"):
        raise PermissionDenied
    user = request.user
    sees_tranches = user.is_superuser or bool(programme_ids(user, FINANCE, MANAGER))
    return render(
        request,
        "grants/finance_overview.html",
        {
            **disbursement_selectors.finance_overview(user),
            "waiting": (
                disbursement_selectors.tranches_waiting(
                    user, limit=50, page=request.GET.get("page", "1"), only=request.GET.get("tranches")
                )
                if sees_tranches
                else None
            ),
            "can_record_rates": user.has_perm("grants.record_exchange_rate"),
        },
    )


@login_required
def exchange_rates(request: HttpRequest) -> HttpResponse:
    if not (request.user.has_perm("grants.view_finance") or request.user.has_perm("grants.record_exchange_rate")):
        raise PermissionDenied
    can_record = request.user.has_perm("grants.record_exchange_rate")
    form = ExchangeRateForm(request.POST or None) if can_record else None
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        assert form is not None  # made whenever the user may record rates
        if form.is_valid():
            try:
                rate = disbursement_services.exchange_rate_record(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                messages.success(request, _("Recorded: %(rate)s.") % {"rate": rate})
                return redirect("grants:exchange_rates")
    currency = request.GET.get("currency", "")
    currency_field = cast(forms.ChoiceField, ExchangeRateForm.base_fields["currency"])  # choices: a list once set
    return render(
        request,
        "grants/exchange_rates.html",
        {
            "form": form,
            "rates": disbursement_selectors.exchange_rate_list(currency=currency),
            "currency": currency,
            "currencies": list(cast("list[tuple[str, str]]", currency_field.choices)),
        },
    )
