"""The eligibility check: a few questions answered before a draft exists. An organisation whose
answers do not qualify is told exactly why, question by question, in its reader's language."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grants.calls.form.answers import answer_parse, answer_text, choices, empty_value, is_empty, label_of
from grants.calls.form.layout import Form
from grants.calls.form.models import QuestionKind


def eligibility_answers(form: Form, fields: dict) -> tuple[dict, dict]:
    """(answers by question id, errors by field name) of what was posted."""
    answers, errors = {}, {}
    for q in form.answerable:
        try:
            answers[str(q.pk)] = answer_parse(q, fields.get(f"q{q.pk}", empty_value(q)))
        except ValidationError as exc:
            errors[f"q{q.pk}"] = exc.messages
    return answers, errors


def _accepted_text(question, accept) -> str:
    if question.kind == QuestionKind.YES_NO:
        return ", ".join(_("Yes") if v == "yes" else _("No") for v in accept)
    labels = {str(c.get("value")): label_of(c) for c in choices(question)}
    return ", ".join(f"“{labels.get(str(v), v)}”" for v in accept)


def _number(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def eligibility_reasons(form: Form, answers: dict) -> list[str]:
    """Why these answers do not qualify (empty when they do): each unanswered question and each
    answer outside what the call accepts, named."""
    shown, _sections = form.shown(answers)
    reasons = []
    for q in form.answerable:
        if q.pk not in shown:
            continue
        value = answers.get(str(q.pk), empty_value(q))
        if is_empty(value):
            if q.required:
                reasons.append(_("Answer the question “%(q)s”.") % {"q": q})
            continue
        accept = (q.options or {}).get("accept")
        if not accept:
            continue
        if isinstance(accept, dict):
            got = _number(value)
            low, high = _number(accept.get("min", "")), _number(accept.get("max", ""))
            if got is None or (low is not None and got < low) or (high is not None and got > high):
                if low is not None and high is not None:
                    rule = _("between %(min)s and %(max)s") % {"min": accept["min"], "max": accept["max"]}
                elif low is not None:
                    rule = _("at least %(min)s") % {"min": accept["min"]}
                else:
                    rule = _("at most %(max)s") % {"max": accept["max"]}
                reasons.append(
                    _("“%(q)s”: your answer is %(answer)s; this call requires %(rule)s.")
                    % {"q": q, "answer": answer_text(q, value), "rule": rule}
                )
            continue
        picks = value if isinstance(value, list) else [value]
        if not {str(p) for p in picks} & {str(a) for a in accept}:
            reasons.append(
                _("“%(q)s”: your answer “%(answer)s” does not qualify; this call accepts %(accepted)s.")
                % {"q": q, "answer": answer_text(q, value), "accepted": _accepted_text(q, accept)}
            )
    return reasons
