"""Building a call's forms in the browser: sections and questions added, edited, reordered,
duplicated and deleted by the programme's managers. Each use case locks the call's row, checks
the role and the form's state, changes, and leaves an audit event.

Once the first application is submitted the application form (and the eligibility check) is
frozen: only wording fixes are taken, recorded as form changes that drafts are told about."""

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import TransitionRefused
from core.languages import columns as language_columns
from core.languages import main_language
from grants.calls.form.answers import label_of
from grants.calls.form.layout import condition_problems, form_load
from grants.calls.form.models import FormChange, FormPurpose, FormSection, Question, QuestionKind, SectionKind
from grants.calls.models import Call, CallState, RequiredDocument, new_form_token

MANAGE = "grants.manage_call"
CLOSED = (CallState.ARCHIVED, CallState.CANCELLED)
FROZEN_PURPOSES = (FormPurpose.APPLICATION, FormPurpose.ELIGIBILITY)
# What a wording fix may change on a frozen form: texts, never kinds, choices or conditions.
WORDING = ("text", "help_text")


def _call_locked(actor, call_id: int) -> Call:
    call = Call.objects.select_for_update().filter(pk=call_id).first()
    if call is None or not actor.has_perm(MANAGE, call):
        raise PermissionDenied(_("You do not manage this call's programme."))
    if call.state in CLOSED:
        raise TransitionRefused(_("An archived or cancelled call's forms cannot be changed."))
    return call


def is_frozen(call: Call, purpose: str) -> bool:
    return call.form_frozen_at is not None and purpose in FROZEN_PURPOSES


def _refuse_when_frozen(call: Call, purpose: str) -> None:
    if is_frozen(call, purpose):
        raise TransitionRefused(
            _("Applications were submitted with this form: only the wording of its questions can be fixed now.")
        )


def _log(actor, call, purpose, *, question=None, section=None, change: dict) -> None:
    """A change to a published call's form, shown to drafts started before it."""
    if call.state != CallState.DRAFT:
        FormChange.objects.create(
            call=call, purpose=purpose, question=question, section=section, change=change, changed_by=actor
        )


def _row_of_unfrozen_form(actor, model, pk):
    """(the call locked, the section or question `pk` of its form) for a change the freeze forbids."""
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise PermissionDenied(
            _("This question is not part of the call's form.")
            if model is Question
            else _("This section is not part of the call's form.")
        )
    call = _call_locked(actor, row.call_id)
    _refuse_when_frozen(call, row.purpose)
    return call, row


def _form_changed(call) -> None:
    """A new token for the form: what autosave cached of its questions' types is read afresh."""
    Call.objects.filter(pk=call.pk).update(form_token=new_form_token())


def _renumber(rows, section=None) -> None:
    """Positions 1, 2, … in this order; questions listed under `section` are put in it (those the
    template page or the API added without one)."""
    for position, row in enumerate(rows, start=1):
        moved = section is not None and row.section_id != section.pk
        if row.position != position or moved:
            row.position = position
            if moved:
                row.section = section
            row.save(update_fields=["position", "section"] if moved else ["position"])


# --- sections ---------------------------------------------------------------------------------


def section_save(
    *, actor, call_id: int, purpose: str, section_id: int | None = None, values: dict, condition: dict | None = None
) -> FormSection:
    """Add a section at the end of the form, or change one. `values`: title/guidance per language
    column and `kind` (a new section only)."""
    with transaction.atomic():
        call = _call_locked(actor, call_id)
        if purpose not in FormPurpose.values:
            raise ValidationError(_("Unknown form."))
        section = None
        if section_id is not None:
            section = FormSection.objects.filter(pk=section_id, call=call, purpose=purpose).first()
            if section is None:
                raise PermissionDenied(_("This section is not part of the call's form."))
        frozen = is_frozen(call, purpose)
        if section is None:
            _refuse_when_frozen(call, purpose)
        if not (values.get(f"title_{main_language()}") or "").strip():
            raise ValidationError({"title": _("Give the section a title.")})
        condition = condition or {}
        if frozen and section is not None and condition != (section.condition or {}):
            _refuse_when_frozen(call, purpose)
        if condition:
            form = form_load(call.pk, purpose)
            earlier = form.earlier(section=section) if section is not None else form.questions
            problems = condition_problems(condition, earlier)
            if problems:
                raise ValidationError({"condition": problems})
        kind = values.get("kind") or SectionKind.QUESTIONS
        if kind == SectionKind.BUDGET and purpose != FormPurpose.APPLICATION:
            raise ValidationError({"kind": _("Only the application form has a budget table.")})
        texts = {k: v for k, v in values.items() if k.split("_")[0] in ("title", "guidance")}
        if section is None:
            if kind == SectionKind.BUDGET and FormSection.objects.filter(call=call, kind=SectionKind.BUDGET).exists():
                raise ValidationError({"kind": _("The form already has its budget section.")})
            last = FormSection.objects.filter(call=call, purpose=purpose).aggregate(m=Max("position"))["m"] or 0
            section = FormSection.objects.create(
                call=call, purpose=purpose, position=last + 1, kind=kind, condition=condition, **texts
            )
            action = "form_section_add"
        else:
            before = {k: getattr(section, k) for k in texts}
            for name, value in texts.items():
                setattr(section, name, value)
            section.condition = condition
            section.save()
            action = "form_wording_fix" if frozen else "form_section_change"
            changed = {k: v for k, v in texts.items() if before.get(k) != v}
            if changed:
                _log(actor, call, purpose, section=section, change={"section": str(section), "fields": list(changed)})
        audit_record(actor=actor, action=action, obj=call, data={"form": purpose, "section": section.pk})
    return section


def section_move(*, actor, section_id: int, step: int) -> FormSection:
    with transaction.atomic():
        call, section = _row_of_unfrozen_form(actor, FormSection, section_id)
        rows = list(FormSection.objects.filter(call=call, purpose=section.purpose).order_by("position", "pk"))
        index = next(i for i, s in enumerate(rows) if s.pk == section.pk)
        target = index + step
        if 0 <= target < len(rows):
            rows.insert(target, rows.pop(index))
            _renumber(rows)
            audit_record(
                actor=actor, action="form_reorder", obj=call, data={"form": section.purpose, "section": section.pk}
            )
    return section


def section_delete(*, actor, section_id: int) -> None:
    with transaction.atomic():
        call, section = _row_of_unfrozen_form(actor, FormSection, section_id)
        if section.questions.exists():
            raise ValidationError(_("Move or delete the section's questions first; nothing is deleted with it."))
        purpose, title = section.purpose, str(section)
        section.delete()
        _renumber(list(FormSection.objects.filter(call=call, purpose=purpose).order_by("position", "pk")))
        _log(actor, call, purpose, change={"removed_section": title})
        audit_record(actor=actor, action="form_section_delete", obj=call, data={"form": purpose, "title": title})


# --- questions --------------------------------------------------------------------------------


def _question_problems(call, purpose, question, kind, options, condition, own_id) -> list[str]:
    problems = []
    if kind not in QuestionKind.values:
        return [_("Choose the type of the question.")]
    if kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE) and len(options.get("choices") or []) < 2:
        problems.append(_("Give at least two answers to choose from."))
    if kind == QuestionKind.TABLE and not options.get("columns"):
        problems.append(_("Give the table at least one column."))
    low, high = options.get("min"), options.get("max")
    if low not in (None, "") and high not in (None, "") and float(low) > float(high):
        problems.append(_("The minimum is above the maximum."))
    picks_low, picks_high = options.get("min_picks"), options.get("max_picks")
    if picks_low and picks_high and int(picks_low) > int(picks_high):
        problems.append(_("The fewest picks are more than the most picks."))
    if picks_high and int(picks_high) > len(options.get("choices") or []):
        problems.append(_("More picks are allowed than there are answers."))
    if condition:
        form = form_load(call.pk, purpose)
        earlier = form.earlier(question=question) if question is not None else form.questions
        problems += condition_problems(condition, earlier, own_id=own_id)
    return problems


def _choices_in_use(call, question, new_options) -> list[str]:
    """Labels of the answers a draft chose that the new options no longer offer."""
    if question is None or question.kind not in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        return []
    kept = {str(c.get("value")) for c in new_options.get("choices") or []}
    removed = {
        str(c.get("value")): c for c in (question.options or {}).get("choices") or [] if str(c.get("value")) not in kept
    }
    if not removed:
        return []
    # The drafts live in a later layer (applications): read by the model's name, never imported.
    used = set()
    drafts = apps.get_model("applications", "Application").objects.filter(call=call, answers__has_key=str(question.pk))
    for answers in drafts.values_list("answers", flat=True).iterator():
        value = (answers or {}).get(str(question.pk))
        for v in value if isinstance(value, list) else [value]:
            if str(v) in removed:
                used.add(str(v))
    return [label_of(removed[v]) for v in sorted(used)]


def question_save(
    *,
    actor,
    call_id: int,
    purpose: str,
    question_id: int | None = None,
    section_id: int | None,
    values: dict,
    options: dict,
    condition: dict | None = None,
) -> Question:
    """Add a question at the end of a section, or change one. `values`: text/help_text per
    language column, kind, required, identifying, max_chars; `options` as its kind needs them."""
    condition = condition or {}
    with transaction.atomic():
        call = _call_locked(actor, call_id)
        question = None
        if question_id is not None:
            question = Question.objects.filter(pk=question_id, call=call, purpose=purpose).first()
            if question is None:
                raise PermissionDenied(_("This question is not part of the call's form."))
        section = (
            FormSection.objects.filter(pk=section_id, call=call, purpose=purpose).first()
            if section_id is not None
            else None
        )
        if section is None or section.kind == SectionKind.BUDGET:
            raise ValidationError({"section": _("Choose a section of questions.")})
        if not (values.get(f"text_{main_language()}") or "").strip():
            raise ValidationError({"text": _("Write the question.")})
        kind = values.get("kind") or QuestionKind.LONG_TEXT
        frozen = is_frozen(call, purpose)
        if frozen:
            if question is None:
                _refuse_when_frozen(call, purpose)
            return _wording_fix(actor, call, question, values, options)
        problems = _question_problems(call, purpose, question, kind, options, condition, question_id)
        if problems:
            raise ValidationError({"question": problems})
        in_use = _choices_in_use(call, question, options)
        if in_use:
            raise ValidationError(
                {
                    "choices": [
                        _("Drafts have chosen “%(answer)s”; it cannot be removed. Keep it, or rename it in place.")
                        % {"answer": label}
                        for label in in_use
                    ]
                }
            )
        fields = {
            **{k: v for k, v in values.items() if k.split("_")[0] in ("text", "help")},
            "kind": kind,
            "required": bool(values.get("required")),
            "identifying": bool(values.get("identifying")),
            "max_chars": int(values.get("max_chars") or 3000),
            "options": options,
            "condition": condition,
            "section": section,
        }
        if question is None:
            last = Question.objects.filter(section=section).aggregate(m=Max("position"))["m"] or 0
            question = Question.objects.create(call=call, purpose=purpose, position=last + 1, **fields)
            action = "form_question_add"
            _log(actor, call, purpose, question=question, change={"added": str(question)})
        else:
            moved = question.section_id != section.pk
            for name, value in fields.items():
                setattr(question, name, value)
            if moved:
                question.position = (
                    Question.objects.filter(section=section).aggregate(m=Max("position"))["m"] or 0
                ) + 1
            question.save()
            action = "form_question_change"
            _log(actor, call, purpose, question=question, change={"changed": str(question)})
        _document_slot(call, question)
        audit_record(
            actor=actor, action=action, obj=call, data={"form": purpose, "question": question.pk, "kind": kind}
        )
    return question


def _document_slot(call, question) -> None:
    """A file question is a document slot of the call (its attachments point at it)."""
    if question.kind != QuestionKind.FILE or question.purpose != FormPurpose.APPLICATION:
        if question.document_id:
            RequiredDocument.objects.filter(pk=question.document_id).delete()
            question.document = None
            question.save(update_fields=["document"])
        return
    names = {f"name_{code}": getattr(question, f"text_{code}", None) for code in _codes()}
    descriptions = {f"description_{code}": getattr(question, f"help_text_{code}", None) or "" for code in _codes()}
    if question.document_id is None:
        last = RequiredDocument.objects.filter(call=call).aggregate(m=Max("position"))["m"] or 0
        question.document = RequiredDocument.objects.create(
            call=call, position=last + 1, required=question.required, **names, **descriptions
        )
        question.save(update_fields=["document"])
    else:
        RequiredDocument.objects.filter(pk=question.document_id).update(
            required=question.required, **names, **descriptions
        )


def _codes() -> list[str]:
    return [name.rsplit("_", 1)[1] for name in language_columns("text")]


def _wording_fix(actor, call, question, values, options) -> Question:
    """On a frozen form: the texts of a question and the labels of its answers and columns, never
    its kind, answers, columns, limits or condition."""
    changed = {}
    for name, value in values.items():
        if name.split("_")[0] in ("text", "help") and getattr(question, name, None) != value:
            changed[name] = {"before": getattr(question, name), "after": value}
            setattr(question, name, value)
    old = question.options or {}
    for part in ("choices", "columns"):
        before, after = old.get(part) or [], options.get(part) or []
        if [str(i.get("value", i.get("key"))) for i in before] != [str(i.get("value", i.get("key"))) for i in after]:
            raise TransitionRefused(
                _(
                    "Applications were submitted with this form: its answers and columns can be renamed, not added or removed."
                )
            )
        if [i.get("label") for i in before] != [i.get("label") for i in after]:
            changed[part] = {"before": [i.get("label") for i in before], "after": [i.get("label") for i in after]}
            question.options = {**old, part: [{**b, "label": a.get("label")} for b, a in zip(before, after)]}
    if changed:
        question.save()
        _document_slot(call, question)
        _form_changed(call)
        FormChange.objects.create(
            call=call, purpose=question.purpose, question=question, change={"wording": str(question)}, changed_by=actor
        )
        audit_record(
            actor=actor,
            action="form_wording_fix",
            obj=call,
            data={"form": question.purpose, "question": question.pk, "fields": sorted(changed)},
        )
    return question


def question_move(*, actor, question_id: int, step: int) -> Question:
    """One place up (-1) or down (+1); past the top or bottom of its section, into the previous
    or next section of questions."""
    with transaction.atomic():
        call, question = _row_of_unfrozen_form(actor, Question, question_id)
        form = form_load(call.pk, question.purpose)
        parts = [p for p in form.parts if not p.is_budget and p.section.pk]
        index = next(i for i, p in enumerate(parts) if any(q.pk == question.pk for q in p.questions))
        rows = parts[index].questions
        position = next(i for i, q in enumerate(rows) if q.pk == question.pk)
        target = position + step
        if 0 <= target < len(rows):
            rows.insert(target, rows.pop(position))
            _renumber(rows, parts[index].section)
        elif 0 <= index + step < len(parts):
            neighbour = parts[index + step]
            rows.pop(position)
            question.section = neighbour.section
            question.save(update_fields=["section"])
            neighbour.questions = [question, *neighbour.questions] if step > 0 else [*neighbour.questions, question]
            _renumber(rows, parts[index].section)
            _renumber(neighbour.questions, neighbour.section)
        else:
            return question
        moved = form_load(call.pk, question.purpose)
        for q in moved.questions:  # a move never puts a question before the answer it depends on
            if q.condition and condition_problems(q.condition, moved.earlier(question=q), own_id=q.pk):
                raise ValidationError(
                    _("“%(q)s” depends on an earlier answer; it cannot come before that question.") % {"q": q}
                )
        audit_record(
            actor=actor, action="form_reorder", obj=call, data={"form": question.purpose, "question": question.pk}
        )
    return question


def question_duplicate(*, actor, question_id: int) -> Question:
    with transaction.atomic():
        call, question = _row_of_unfrozen_form(actor, Question, question_id)
        siblings = list(Question.objects.filter(section_id=question.section_id).order_by("position", "pk"))
        copy = Question.objects.get(pk=question.pk)
        copy.pk = None
        copy.document = None
        copy.save()
        index = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
        siblings.insert(index + 1, copy)
        _renumber(siblings)
        _document_slot(call, copy)
        _form_changed(call)
        _log(actor, call, question.purpose, question=copy, change={"added": str(copy)})
        audit_record(
            actor=actor,
            action="form_question_add",
            obj=call,
            data={"form": question.purpose, "question": copy.pk, "from": question.pk},
        )
    return copy


def question_delete(*, actor, question_id: int) -> None:
    with transaction.atomic():
        call, question = _row_of_unfrozen_form(actor, Question, question_id)
        dependent: list = [
            q
            for q in Question.objects.filter(call=call, purpose=question.purpose)
            if (q.condition or {}).get("question") == question.pk
        ]
        dependent += [
            s
            for s in FormSection.objects.filter(call=call, purpose=question.purpose)
            if (s.condition or {}).get("question") == question.pk
        ]
        if dependent:
            raise ValidationError(
                _("“%(other)s” is shown depending on this question's answer; change its condition first.")
                % {"other": dependent[0]}
            )
        purpose, text, section_id = question.purpose, str(question), question.section_id
        if question.document_id:
            RequiredDocument.objects.filter(pk=question.document_id).delete()
        question.delete()
        _renumber(list(Question.objects.filter(section_id=section_id).order_by("position", "pk")))
        _form_changed(call)
        _log(actor, call, purpose, change={"removed": text})
        audit_record(actor=actor, action="form_question_delete", obj=call, data={"form": purpose, "question": text})


def change_text(change: FormChange) -> str:
    """What a form change did, in the reader's language."""
    data = change.change or {}
    if "added" in data:
        return _("Question added: “%(q)s”.") % {"q": data["added"]}
    if "removed" in data:
        return _("Question removed: “%(q)s”.") % {"q": data["removed"]}
    if "changed" in data:
        return _("Question changed: “%(q)s”.") % {"q": data["changed"]}
    if "wording" in data:
        return _("Wording fixed: “%(q)s”.") % {"q": data["wording"]}
    if "removed_section" in data:
        return _("Section removed: “%(s)s”.") % {"s": data["removed_section"]}
    return _("Section changed: “%(s)s”.") % {"s": data.get("section", "")}


def changes_since(call_id: int, since, purpose: str = FormPurpose.APPLICATION) -> list[str]:
    """What changed in the form after `since` (a draft's start), oldest first, as sentences."""
    rows = FormChange.objects.filter(call_id=call_id, purpose=purpose, changed_at__gt=since).order_by(
        "changed_at", "pk"
    )
    return [change_text(c) for c in rows[:50]]
