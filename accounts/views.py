from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services, tokens
from accounts.forms import ApiTokenForm, InviteForm, LanguageForm, OrganisationForm, TimeZoneForm, registry_examples
from accounts.models import ApiToken, Invitation, Organisation
from core.forms import form_errors_add
from core.pagination import page_of


@login_required
def organisation_list(request):
    query = (request.GET.get("q") or "").strip()[:100]
    organisations = page_of(
        request, selectors.organisation_search(selectors.organisation_list_visible(request.user), query)
    )
    return render(request, "accounts/organisation_list.html", {"organisations": organisations, "query": query})


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_register(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("%(name)s is registered and you are its owner.") % {"name": org.legal_name})
            return redirect("accounts:organisation_detail", pk=org.pk)
    return render(request, "accounts/organisation_form.html", {"form": form, "examples": registry_examples()})


def _visible_organisation(request, pk) -> Organisation:
    try:
        return selectors.organisation_get_visible(request.user, pk)
    except Organisation.DoesNotExist:
        raise Http404


@login_required
def organisation_detail(request, pk):
    org = _visible_organisation(request, pk)
    can_invite = request.user.has_perm("accounts.invite_member", org)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not can_invite:
            raise Http404
        if form.is_valid():
            try:
                services.member_invite(actor=request.user, organisation=org, email=form.cleaned_data["email"])
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % form.cleaned_data)
                return redirect("accounts:organisation_detail", pk=org.pk)
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "organisation": org,
            "members": selectors.organisation_members(org),
            "invitations": selectors.invitation_list_open(org) if can_invite else [],
            "can_invite": can_invite,
            "can_change": request.user.has_perm("accounts.change_organisation", org),
            "form": form,
        },
    )


@login_required
def organisation_edit(request, pk):
    org = _visible_organisation(request, pk)
    if not request.user.has_perm("accounts.change_organisation", org):
        raise Http404
    form = OrganisationForm(request.POST or None, instance=Organisation.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:organisation_detail", pk=org.pk)
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": org, "examples": registry_examples()}
    )


@login_required
def invitation_accept(request, token):
    invitation = Invitation.objects.select_related("organisation").filter(token=token).first()
    if invitation is None:
        raise Http404
    if request.method == "POST":
        try:
            services.invitation_accept(actor=request.user, token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("You are now a member of %(name)s.") % {"name": invitation.organisation.legal_name}
            )
            return redirect("accounts:organisation_detail", pk=invitation.organisation_id)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


@require_POST
def language_set(request):
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        services.user_language_set(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
            samesite="Lax",
            httponly=False,
        )
    return response


@login_required
def time_zone_set(request):
    """The person's time zone (pages and e-mails); the browser's is offered when none is chosen."""
    form = TimeZoneForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Your time zone is saved."))
            return redirect("accounts:time_zone")
    return render(request, "accounts/time_zone.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def api_token(request):
    """The user's API token: make one (its key is shown once), see when it was last used and when it
    expires, revoke it; and when and why earlier ones stopped working."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if tokens.tokens_revoke(user=request.user, reason=ApiToken.Revoked.BY_OWNER):
                messages.success(request, _("Your API token was revoked; it no longer works."))
            return redirect("accounts:api_token")
        if form.is_valid():
            _token, key = tokens.token_create(user=request.user, days=form.cleaned_data["expires_in"] or None)
            request.session["new_api_token"] = key
            messages.success(request, _("A new API token was created; the old one no longer works."))
            return redirect("accounts:api_token")
    history = list(ApiToken.objects.filter(user=request.user)[:6])
    live = next((t for t in history if t.revoked_at is None), None)
    context = {
        "form": form,
        "token": live,
        "new_key": request.session.pop("new_api_token", None),
        "history": [t for t in history if t is not live][:5],
    }
    return render(request, "accounts/api_token.html", context)
