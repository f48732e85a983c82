"""Thread pages (an application's, a grant's), their files, the "Messages" inbox and the bulk
message. Anyone who may not see a thread gets 404, whatever else they may see."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import MANAGER, programme_ids
from applications.conversations import selectors, services
from applications.conversations.forms import BulkMessageForm, MessageForm
from applications.conversations.models import ThreadScope
from applications.conversations.visibility import thread_can_view, thread_is_member
from applications.models import Application, ApplicationState
from applications.services import application_answer_clarification, applications_selected
from applications.views.attachments import attachment_response
from applications.views.screening import _managed_call
from core.bulk import bulk_report
from core.errors import TransitionRefused
from core.forms import error_text
from core.pagination import page_of
from grants.calls.models import Call, Programme


def _application_of(request, scope: str, pk) -> Application:
    """The application whose thread this is (by its id, or by its grant's), or 404."""
    found = Application.objects.select_related("call__programme", "organisation")
    lookup = {"grant__pk": pk} if scope == ThreadScope.GRANT else {"pk": pk}
    try:
        application = found.filter(**lookup).first()
    except (TypeError, ValueError):
        application = None
    if application is None or not thread_can_view(request.user, application, scope):
        raise Http404
    return application


def _url(application, scope: str) -> str:
    if scope == ThreadScope.GRANT:
        return reverse("conversations:grant_thread", args=[application.grant.pk])
    return reverse("conversations:application_thread", args=[application.pk])


def _thread_page(request, scope: str, pk):
    application = _application_of(request, scope, pk)
    is_member = thread_is_member(request.user, application)
    can_answer = (
        scope == ThreadScope.APPLICATION and is_member and application.state == ApplicationState.CLARIFICATION_REQUESTED
    )
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES, can_answer=can_answer)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if can_answer and data.get("answers"):
                    application_answer_clarification(
                        actor=request.user, application_id=application.pk, answer=data["body"], files=data["upload"]
                    )
                    messages.success(request, _("Your answer was sent; the application is back with the programme."))
                else:
                    services.message_post(
                        actor=request.user,
                        application_id=application.pk,
                        scope=scope,
                        body=data["body"],
                        files=data["upload"],
                    )
                    messages.success(request, _("Your message was sent."))
                return redirect(_url(application, scope) + "#latest")
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    target = {"answer": "body", "files": "upload", "body": "body"}.get(field)
                    form.add_error(target, errors)
            except TransitionRefused as exc:
                form.add_error(None, exc.message)
        status = 400
    else:
        form = MessageForm(can_answer=can_answer)
        status = 200
    thread = selectors.thread_of(application, scope)
    last_read = selectors.thread_last_read(thread, request.user)
    items = list(selectors.thread_messages(thread))
    for item in items:
        item.summary = selectors.event_summary(item)
    if thread is not None and request.method == "GET":
        services.thread_read_mark(actor=request.user, thread=thread)
    context = {
        "application": application,
        "scope": scope,
        "grant": application.grant if scope == ThreadScope.GRANT else None,
        "thread": thread,
        "items": items,
        "last_read": last_read,
        "form": form,
        "can_answer": can_answer,
        "is_member": is_member,
        "subject": services.thread_subject(application, scope),
        "action_url": _url(application, scope),
        "action_pk": application.grant.pk if scope == ThreadScope.GRANT else application.pk,
    }
    return render(request, "conversations/thread.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def application_thread(request, pk):
    return _thread_page(request, ThreadScope.APPLICATION, pk)


@login_required
@require_http_methods(["GET", "POST"])
def grant_thread(request, grant_pk):
    return _thread_page(request, ThreadScope.GRANT, grant_pk)


@login_required
@require_GET
def message_file(request, scope, pk, attachment_pk):
    if scope not in ThreadScope.values:
        raise Http404
    application = _application_of(request, scope, pk)
    attachment = selectors.message_attachment_of(selectors.thread_of(application, scope), attachment_pk)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)  # the same fields as an application's document


@login_required
@require_GET
def inbox(request):
    page = page_of(request, selectors.inbox_list(request.user), size=25)
    can_bulk = request.user.is_superuser or bool(programme_ids(request.user, MANAGER))
    return render(
        request, "conversations/inbox.html", {"page": page, "threads": page.object_list, "can_bulk": can_bulk}
    )


def _bulk_choices(user):
    managed = programme_ids(user, MANAGER)
    programmes = Programme.objects.all() if user.is_superuser else Programme.objects.filter(pk__in=managed)
    calls = Call.objects.filter(programme__in=programmes).order_by("-pk")
    return list(calls), list(programmes.order_by("code"))


@login_required
@require_http_methods(["GET", "POST"])
def bulk_message(request):
    calls, programmes = _bulk_choices(request.user)
    if not programmes:
        raise Http404
    form = BulkMessageForm(request.POST or None, calls=calls, programmes=programmes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        to_call = data["to"] == BulkMessageForm.TO_CALL
        ids = services.bulk_recipients(
            actor=request.user,
            call_id=data["call"] if to_call else None,
            programme_id=None if to_call else data["programme"],
        )
        scope = ThreadScope.APPLICATION if to_call else ThreadScope.GRANT
        try:
            result = services.messages_bulk_send(
                actor=request.user, application_ids=ids, scope=scope, body=data["body"]
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            _bulk_done(request, result)
            return redirect("conversations:inbox")
    return render(request, "conversations/bulk.html", {"form": form}, status=400 if form.errors else 200)


def _bulk_done(request, result) -> None:
    n = len(result.done)
    done = ngettext(
        "The message was sent to %(n)s organisation, each in its own thread.",
        "The message was sent to %(n)s organisations, each in its own thread.",
        n,
    ) % {"n": n}
    bulk_report(request, result, done, lambda app: app.reference or app.title)


@login_required
@require_POST
def call_selected_message(request, pk):
    """The applications ticked in a call's list get the message, each in its own thread."""
    call = _managed_call(request, pk)
    try:
        selected = applications_selected(
            actor=request.user, call_id=call.pk, application_ids=request.POST.getlist("ids")
        )
        result = services.messages_bulk_send(
            actor=request.user,
            application_ids=[a.pk for a in selected],
            scope=ThreadScope.APPLICATION,
            body=request.POST.get("message", ""),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied:
        raise
    else:
        _bulk_done(request, result)
    query = request.POST.get("query", "")
    url = reverse("applications:call_applications", args=[call.pk])
    return redirect(f"{url}?{query}" if query else url)
