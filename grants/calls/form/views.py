"""The form builder's pages: a call's forms with their sections and questions (each moved,
duplicated or deleted by a button, so the keyboard does everything), a question's and a
section's page, and the preview of a form as an applicant sees it, in any language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import TransitionRefused
from core.forms import form_run, message_run
from core.languages import main_language, own_name
from grants.calls import selectors
from grants.calls.form import builder
from grants.calls.form.checklist import CHECKLIST, ChecklistFormSet, checklist_save
from grants.calls.form.forms import QuestionForm, SectionForm, condition_initial
from grants.calls.form.layout import form_load
from grants.calls.form.models import ChecklistItem, FormChange, FormPurpose, FormSection, Question, SectionKind
from grants.calls.form.render import form_items
from grants.calls.models import Call


def _call(request, pk) -> Call:
    try:
        return selectors.call_get_managed(request.user, pk)
    except Call.DoesNotExist:
        raise Http404


def _purpose(request) -> str:
    purpose = request.GET.get("purpose") or request.POST.get("purpose") or FormPurpose.APPLICATION
    return purpose if purpose in FormPurpose.values else FormPurpose.APPLICATION


def _back(call, purpose) -> str:
    return f"{reverse('calls:form_builder', args=[call.pk])}?purpose={purpose}"


@login_required
def form_builder(request, pk):
    call = _call(request, pk)
    purpose = _purpose(request)
    form = form_load(call.pk, purpose)
    by_id = form.by_id()
    for part in form.parts:  # what each condition names, for the page to say
        part.condition_source = by_id.get((part.section.condition or {}).get("question"))
        part.rows = [(q, by_id.get((q.condition or {}).get("question"))) for q in part.questions]
    return render(
        request,
        "grants/form_builder.html",
        {
            "call": call,
            "purpose": purpose,
            "purposes": FormPurpose.choices,
            "form": form,
            "frozen": builder.is_frozen(call, purpose),
            "closed": call.state in builder.CLOSED,
            "preview_languages": [(code, own_name(code)) for code, _name in _languages()],
            "changes": [
                (c.changed_at, builder.change_text(c))
                for c in FormChange.objects.filter(call=call, purpose=purpose)[:50]
            ],
        },
    )


def _languages():
    return settings.LANGUAGES


@login_required
def form_section(request, pk, section_pk=None):
    call = _call(request, pk)
    section = None
    if section_pk is not None:
        section = FormSection.objects.filter(pk=section_pk, call=call).first()
        if section is None:
            raise Http404
    purpose = section.purpose if section else _purpose(request)
    form_now = form_load(call.pk, purpose)
    earlier = form_now.earlier(section=section) if section else form_now.questions
    initial = {}
    if section is not None:
        initial = {
            "title": getattr(section, f"title_{main_language()}") or "",
            "guidance": getattr(section, f"guidance_{main_language()}") or "",
            "kind": section.kind,
            **condition_initial(section.condition or {}, earlier),
        }
    form = SectionForm(request.POST or None, initial=initial, earlier=earlier, purpose=purpose)
    if section is not None:
        form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if section is not None:
            values["kind"] = section.kind
        saved, _result = form_run(
            form,
            builder.section_save,
            actor=request.user,
            call_id=call.pk,
            purpose=purpose,
            section_id=section.pk if section else None,
            values=values,
            condition=form.condition(),
        )
        if saved:
            messages.success(request, _("The section was saved."))
            return redirect(_back(call, purpose))
    return render(
        request,
        "grants/form_section.html",
        {"call": call, "purpose": purpose, "section": section, "form": form},
    )


@login_required
def form_question(request, pk, question_pk=None):
    call = _call(request, pk)
    question = None
    if question_pk is not None:
        question = Question.objects.filter(pk=question_pk, call=call).first()
        if question is None:
            raise Http404
    purpose = question.purpose if question else _purpose(request)
    form_now = form_load(call.pk, purpose)
    sections = [p.section for p in form_now.parts if p.section.pk and p.section.kind == SectionKind.QUESTIONS]
    if not sections:
        messages.error(request, _("Add a section first; questions live in sections."))
        return redirect(_back(call, purpose))
    earlier = form_now.questions  # all of them: the builder refuses a later one with a message
    if question is not None:
        initial = QuestionForm.initial_of(question, earlier)
    else:
        initial = {"section": request.GET.get("section") or sections[-1].pk}
    concept = form_load(call.concept_call_id).answerable if call.concept_call_id else []
    form = QuestionForm(
        request.POST or None,
        initial=initial,
        sections=sections,
        earlier=earlier,
        question=question,
        purpose=purpose,
        concept_questions=concept,
    )
    frozen = builder.is_frozen(call, purpose)
    if request.method == "POST" and form.is_valid():
        saved, _result = form_run(
            form,
            builder.question_save,
            actor=request.user,
            call_id=call.pk,
            purpose=purpose,
            question_id=question.pk if question else None,
            section_id=form.cleaned_data["section"],
            values=form.values(),
            options=form.options,
            condition=form.condition_value,
        )
        if saved:
            messages.success(request, _("The question was saved."))
            return redirect(_back(call, purpose))
    return render(
        request,
        "grants/form_question.html",
        {"call": call, "purpose": purpose, "question": question, "form": form, "frozen": frozen},
    )


def _button(request, pk, service, message, **kwargs):
    call = _call(request, pk)
    done, _result = message_run(request, service, actor=request.user, **kwargs)
    if done and message:
        messages.success(request, message)
    return redirect(_back(call, _purpose(request)))


@login_required
@require_POST
def form_question_move(request, pk, question_pk):
    step = -1 if request.POST.get("step") == "up" else 1
    return _button(request, pk, builder.question_move, "", question_id=question_pk, step=step)


@login_required
@require_POST
def form_question_duplicate(request, pk, question_pk):
    return _button(request, pk, builder.question_duplicate, _("The question was duplicated."), question_id=question_pk)


@login_required
@require_POST
def form_question_delete(request, pk, question_pk):
    return _button(request, pk, builder.question_delete, _("The question was deleted."), question_id=question_pk)


@login_required
@require_POST
def form_section_move(request, pk, section_pk):
    step = -1 if request.POST.get("step") == "up" else 1
    return _button(request, pk, builder.section_move, "", section_id=section_pk, step=step)


@login_required
@require_POST
def form_section_delete(request, pk, section_pk):
    return _button(request, pk, builder.section_delete, _("The section was deleted."), section_id=section_pk)


@login_required
def form_preview(request, pk):
    """The form exactly as an applicant sees it, in the language chosen; nothing is saved."""
    call = _call(request, pk)
    purpose = _purpose(request)
    codes = [code for code, _name in _languages()]
    language = request.GET.get("lang") if request.GET.get("lang") in codes else translation.get_language()
    with translation.override(language):
        form = form_load(call.pk, purpose)
        response = render(
            request,
            "grants/form_preview.html",
            {
                "call": call,
                "purpose": purpose,
                "purpose_label": FormPurpose(purpose).label,
                "form_parts": form_items(form, {}),
                "preview_language": language,
                "preview_languages": [(code, own_name(code)) for code in codes],
                "currency": call.envelope.currency,
                "headings": list(call.budget_headings.order_by("position")),
            },
        )
    return response


@login_required
def call_checklist(request, pk):
    """The call's screening checklist: items with guidance, reordered by their order numbers."""
    call = _call(request, pk)
    main = main_language()
    items = list(ChecklistItem.objects.filter(call=call).order_by("position", "pk"))
    initial = [
        {
            "key": i.key,
            "label": getattr(i, f"label_{main}") or "",
            "guidance": getattr(i, f"guidance_{main}") or "",
            "ORDER": n,
        }
        for n, i in enumerate(items, start=1)
    ]
    if not items:
        initial = [{"label": str(label), "ORDER": n} for n, (_key, label) in enumerate(CHECKLIST, start=1)]
    formset = ChecklistFormSet(request.POST or None, initial=initial, prefix="items")
    errors = []
    if request.method == "POST" and formset.is_valid():
        rows = [f.cleaned_data for f in formset.ordered_forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        try:
            checklist_save(actor=request.user, call_id=call.pk, rows=rows)
        except ValidationError as exc:
            errors = exc.messages
        except TransitionRefused as exc:
            errors = [exc.message]
        else:
            messages.success(request, _("The screening checklist was saved."))
            return redirect("applications:call_manage", pk=call.pk)
    return render(request, "grants/call_checklist.html", {"call": call, "formset": formset, "errors": errors})
