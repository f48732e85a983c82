"""Pages for grant agreements, tranches, payments, the finance overview and exchange rates.

Thin: parse, call a service or a selector, render. A grant the user may not see is a 404; an
action their role does not allow is a 403; an action the state no longer allows is a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import MANAGER, programme_ids
from audit.lists import CountReusingPaginator
from core.errors import TransitionRefused
from core.forms import form_errors_add, form_run
from core.sorting import sort_apply
from core.storage import file_response
from grants.agreements import selectors as agreements_selectors
from grants.agreements import services
from grants.agreements.forms import BudgetForm, GrantTermsForm, PublicationForm, ReasonForm
from grants.agreements.models import Amendment, Grant, GrantState


def _visible_grant(request, pk) -> Grant:
    try:
        return agreements_selectors.grant_get_visible(request.user, pk)
    except Grant.DoesNotExist:
        raise Http404


@login_required
def grant_list(request):
    grants = agreements_selectors.grant_list_visible(request.user)
    state = request.GET.get("state", "")
    if state in GrantState.values:
        grants = grants.filter(state=state)
    grants, sorted_by = sort_apply(grants, request.GET.get("sort"), agreements_selectors.GRANT_SORTS)
    page = CountReusingPaginator(grants, 50).get_page(request.GET.get("page"))
    awaiting = (
        list(agreements_selectors.applications_awaiting_agreement(request.user)[:50])
        if (request.user.is_superuser or programme_ids(request.user, MANAGER))
        else []
    )
    return render(
        request,
        "grants/grant_list.html",
        {
            "page": page,
            "grants": page.object_list,
            "state": state,
            "states": GrantState.choices,
            "awaiting": awaiting,
            "sorted": sorted_by,
        },
    )


@login_required
def grant_edit(request, pk):
    """Title, dates and budget of a draft agreement."""
    grant = _visible_grant(request, pk)
    if not request.user.has_perm("grants.manage_grant", grant):
        raise PermissionDenied
    if grant.state != GrantState.DRAFT:
        messages.error(request, _("After signature the budget changes through the flexibility rule or an amendment."))
        return redirect("grants:grant_detail", pk=grant.pk)
    lines = list(agreements_selectors.grant_budget_lines(grant))
    terms = GrantTermsForm(
        request.POST or None,
        prefix="terms",
        initial={"title": grant.title, "starts_on": grant.starts_on, "ends_on": grant.ends_on},
    )
    budget = BudgetForm(request.POST or None, prefix="budget", lines=lines, with_reason=False)
    if request.method == "POST" and terms.is_valid() and budget.is_valid():
        try:
            services.grant_terms_update(actor=request.user, grant_id=grant.pk, **terms.cleaned_data)
        except ValidationError as exc:
            form_errors_add(terms, exc)
        else:
            try:
                services.grant_budget_update(actor=request.user, grant_id=grant.pk, amounts=budget.amounts())
            except ValidationError as exc:
                form_errors_add(budget, exc)
            else:
                messages.success(request, _("The draft agreement is saved."))
                return redirect("grants:grant_detail", pk=grant.pk)
    return render(request, "grants/grant_edit.html", {"grant": grant, "terms": terms, "budget": budget})


@login_required
def grant_publication(request, pk):
    """What the public register may show of the recipient (managers)."""
    grant = _visible_grant(request, pk)
    if not request.user.has_perm("grants.manage_grant", grant):
        raise PermissionDenied
    form = PublicationForm(
        request.POST or None,
        initial={"withhold_recipient": grant.withhold_recipient, "withhold_reason": grant.withhold_reason},
    )
    if request.method == "POST" and form.is_valid():
        done, _grant = form_run(
            form, services.grant_publication_set, actor=request.user, grant_id=grant.pk, **form.cleaned_data
        )
        if done:
            messages.success(request, _("Saved."))
            return redirect("grants:grant_detail", pk=grant.pk)
    return render(request, "grants/grant_publication.html", {"grant": grant, "form": form})


@login_required
def grant_budget_change(request, pk):
    """Move money between budget lines of a signed grant (flexibility rule or amendment)."""
    grant = _visible_grant(request, pk)
    if not request.user.has_perm("grants.change_grant_budget", grant):
        raise PermissionDenied
    lines = list(agreements_selectors.grant_budget_lines(grant))
    form = BudgetForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.grant_budget_change(
                actor=request.user,
                grant_id=grant.pk,
                amounts=form.amounts(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            if result.applied:
                messages.success(
                    request,
                    _("The budget is changed: every heading stays within the %(pct)s%% flexibility limit.")
                    % {"pct": grant.call.flexibility_pct},
                )
            else:
                messages.success(
                    request,
                    _(
                        "The change moves a heading beyond the %(pct)s%% flexibility limit, so it "
                        "is now amendment version %(version)s, waiting for the programme manager."
                    )
                    % {"pct": grant.call.flexibility_pct, "version": result.amendment.version},
                )
            return redirect("grants:grant_detail", pk=grant.pk)
    return render(
        request,
        "grants/grant_budget_change.html",
        {"grant": grant, "form": form, "budget": agreements_selectors.grant_budget_table(grant, lines)},
    )


@login_required
def grant_document(request, pk):
    grant = _visible_grant(request, pk)
    if not grant.signed_document:
        raise Http404
    try:
        return file_response(
            grant.signed_document, filename=f"{grant.number}-agreement.pdf", content_type="application/pdf"
        )
    except FileNotFoundError:
        raise Http404


@login_required
@require_POST
def amendment_decide(request, pk, decision):
    amendment = get_object_or_404(Amendment.objects.select_related("grant"), pk=pk)
    grant = _visible_grant(request, amendment.grant_id)
    if decision not in ("approve", "reject"):
        raise Http404
    form = ReasonForm(request.POST, required=decision == "reject")
    if not form.is_valid():
        messages.error(request, _("Say why the amendment is rejected."))
        return redirect("grants:grant_detail", pk=grant.pk)
    service = services.amendment_approve if decision == "approve" else services.amendment_reject
    try:
        service(actor=request.user, amendment_id=amendment.pk, reason=form.cleaned_data["reason"])
    except (ValidationError, TransitionRefused) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(getattr(exc, "message", exc))])))
    else:
        messages.success(
            request,
            _("Amendment version %(version)s is %(decision)s.")
            % {"version": amendment.version, "decision": _("approved") if decision == "approve" else _("rejected")},
        )
    return redirect("grants:grant_detail", pk=grant.pk)
