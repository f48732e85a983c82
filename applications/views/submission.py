"""Submitting an application and what follows for the applicant: the receipt, the export of what was sent, withdrawal and answers to clarification requests."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import exports, services
from applications.forms import (
    AnswerForm,
    WithdrawForm,
)
from applications.models import Application, ApplicationState
from applications.services import EDIT
from applications.views.drafts import _visible
from applications.visibility import application_is_manager, application_is_member
from core.errors import TransitionRefused
from core.forms import message_run
from core.storage import content_disposition
from grants.calls.form.layout import form_load


@login_required
def application_submit(request, pk):
    app = _visible(request, pk)
    if not request.user.has_perm(EDIT, app):
        raise PermissionDenied
    if app.state != ApplicationState.DRAFT:
        if app.reference:
            messages.info(request, _("This application was already submitted."))
            return redirect("applications:application_receipt", pk=app.pk)
        return redirect("applications:application_detail", pk=app.pk)
    if request.method == "POST":
        try:
            services.application_submit(actor=request.user, application_id=app.pk)
        except TransitionRefused as exc:
            fresh = Application.objects.get(pk=app.pk)
            if fresh.reference:  # another member submitted it a moment earlier
                messages.info(request, _("Another member of your organisation has just submitted this application."))
                return redirect("applications:application_receipt", pk=app.pk)
            messages.error(request, exc.message)
        except ValidationError:
            messages.error(request, _("The application is not complete yet."))
        else:
            messages.success(request, _("Your application was submitted."))
            return redirect("applications:application_receipt", pk=app.pk)
    problems = services.application_submission_problems(app)
    return render(
        request,
        "applications/application_submit.html",
        {"app": app, "call": app.call, "problems": problems, "deadline": services.application_deadline(app)},
    )


@login_required
def application_receipt(request, pk):
    app = _visible(request, pk)
    if not app.reference or not app.submitted_content:
        raise Http404
    if not (application_is_member(request.user, app) or application_is_manager(request.user, app)):
        raise Http404  # the receipt belongs to the applicant and the programme team
    return render(
        request,
        "applications/application_receipt.html",
        {"app": app, "call": app.call, "content": app.submitted_content, "show_identity": True},
    )


@login_required
def application_submitted_json(request, pk):
    """The exact bytes the receipt's SHA-256 was computed over."""
    app = _visible(request, pk)
    if not app.submitted_content or not (
        application_is_member(request.user, app) or application_is_manager(request.user, app)
    ):
        raise Http404
    response = HttpResponse(
        services.canonical_json(app.submitted_content), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition(f"{app.reference}.json")
    return response


@login_required
def application_export(request, pk, fmt):
    if fmt not in exports.FORMATS:
        raise Http404
    app = _visible(request, pk)
    if not (application_is_member(request.user, app) or application_is_manager(request.user, app)):
        raise Http404
    headers, rows = exports.application_table(app, form_load(app.call_id))
    name = app.reference or f"application-{app.pk}"
    return exports.response(fmt, headers, rows, name, f"{name}.{fmt}")


@login_required
def application_withdraw(request, pk):
    app = _visible(request, pk)
    if not request.user.has_perm(EDIT, app):
        raise PermissionDenied
    form = WithdrawForm(request.POST or None, prefix="wd")
    if request.method == "POST" and form.is_valid():
        withdrawn, _app = message_run(
            request,
            services.application_withdraw,
            actor=request.user,
            application_id=app.pk,
            reason=form.cleaned_data["reason"],
        )
        if withdrawn:
            messages.success(request, _("The application was withdrawn."))
        return redirect("applications:application_detail", pk=app.pk)
    return render(request, "applications/application_withdraw.html", {"app": app, "call": app.call, "form": form})


@login_required
@require_POST
def application_answer(request, pk):
    app = _visible(request, pk)
    if not request.user.has_perm(EDIT, app):
        raise PermissionDenied
    form = AnswerForm(request.POST, prefix="an")
    if form.is_valid():
        answered, _app = message_run(
            request,
            services.application_answer_clarification,
            actor=request.user,
            application_id=app.pk,
            answer=form.cleaned_data["answer"],
        )
        if answered:
            messages.success(request, _("Your answer was sent; the application is back with the programme team."))
    else:
        messages.error(request, _("Write your answer."))
    return redirect("applications:application_detail", pk=app.pk)
