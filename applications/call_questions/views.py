"""The call's questions and answers: asked on the call's page, answered on the manager's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.call_questions import services
from applications.call_questions.forms import AnswerForm, AskForm
from applications.call_questions.models import CallQuestion
from applications.views.calls import _managed_call
from core.forms import form_run
from core.shortcuts import get_visible_or_404
from grants.calls import selectors as call_selectors


@login_required
@require_POST
def call_question_ask(request, pk):
    call = get_visible_or_404(call_selectors.call_list_visible(request.user), pk)
    form = AskForm(request.POST)
    page = reverse("applications:call_detail", args=[call.pk]) + "#qa"
    if form.is_valid():
        done, _question = form_run(
            form, services.call_question_ask, actor=request.user, call_id=call.pk, **form.cleaned_data
        )
        if done:
            messages.success(request, _("Your question was sent to the programme. Its answer will be published here."))
            return redirect(page)
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)
    request.session["call_question_draft"] = request.POST.get("text", "")  # nothing typed is lost
    return redirect(page)


@login_required
def call_questions_manage(request, pk):
    call = _managed_call(request, pk)
    questions = list(
        CallQuestion.objects.filter(call=call).select_related("asked_by").order_by("-published_at", "asked_at")
    )
    questions.sort(key=lambda q: (q.published_at is not None, q.asked_at))  # unanswered first, oldest first
    bound = None
    if request.method == "POST":
        target = next((q for q in questions if str(q.pk) == request.POST.get("question")), None)
        if target is None:
            raise Http404
        bound = AnswerForm(request.POST, question=target, prefix=f"q{target.pk}")
        if bound.is_valid():
            done, _saved = form_run(
                bound,
                services.call_question_answer,
                actor=request.user,
                question_id=target.pk,
                publish="publish" in request.POST,
                **bound.cleaned_data,
            )
            if done:
                messages.success(request, _("The answer was published.") if "publish" in request.POST else _("Saved."))
                return redirect(request.path)
    forms = [
        (q, bound if bound is not None and bound.prefix == f"q{q.pk}" else AnswerForm(question=q, prefix=f"q{q.pk}"))
        for q in questions
    ]
    return render(
        request,
        "applications/call_questions_manage.html",
        {
            "call": call,
            "forms": forms,
            "questions_until": services.questions_until(call),
            "answers_until": services.answers_until(call),
        },
    )
