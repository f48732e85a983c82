from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from workers import selectors, services
from workers.forms import PreferencesForm
from workers.mail import unsubscribe_read
from workers.models import Notification
from workers.notifications import KINDS
from workers.preferences import preferences_get, preferences_groups, preferences_set, preferences_unsubscribe


@login_required
def notification_list(request):
    return render(
        request,
        "workers/notifications.html",
        selectors.notifications_page(
            request.user, unread_page=request.GET.get("page"), earlier_page=request.GET.get("epage")
        ),
    )


@login_required
@require_POST
def notification_read(request, pk):
    try:
        n = services.notification_read(actor=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404
    path = n.context.get("path", "") if isinstance(n.context, dict) else ""
    if request.POST.get("open") and path and url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}):
        return redirect(path)
    return redirect("notifications:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_read_all(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications:notifications")


@login_required
def notification_preferences(request):
    form = PreferencesForm(
        request.POST or None, preferences=preferences_get(request.user), groups=preferences_groups(request.user)
    )
    if request.method == "POST" and form.is_valid():
        preferences_set(actor=request.user, modes=form.cleaned_data)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:notification_preferences")
    return render(request, "workers/preferences.html", {"form": form})


@csrf_exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" without a session; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows what will stop and a button (link checkers that follow links stop nothing); POST stops it."""
    found = unsubscribe_read(token)
    if found is None or found[1] not in KINDS:
        raise Http404
    user_id, kind = found
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise Http404
    label = KINDS[kind].label_text()
    if request.method == "POST":
        preferences_unsubscribe(user_id=user_id, kind=kind)
        return render(request, "workers/unsubscribed.html", {"label": label})
    return render(request, "workers/unsubscribe.html", {"label": label})
