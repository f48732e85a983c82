"""What a page needs to draw a form: each section with its questions, each question with its
widget, value, choices (ticked), table rows and totals, and its condition for the browser. The
applicant's form, the grantee's report form and the manager's preview all draw from this."""

import json

from django.utils.translation import gettext as _

from grants.calls.form.answers import (
    choices,
    columns,
    empty_value,
    label_of,
    table_totals,
)
from grants.calls.form.models import QuestionKind

TABLE_EMPTY_ROWS = 2


def field_name(question) -> str:
    return f"q{question.pk}"


def _condition_json(condition: dict) -> str:
    if not condition:
        return ""
    return json.dumps({**condition, "question": f"q{condition.get('question')}"}, ensure_ascii=False)


def question_item(question, value, *, errors=None, conflict=None, attachments=()) -> dict:
    kind = question.kind
    item = {
        "q": question,
        "name": field_name(question),
        "kind": kind,
        "value": value,
        "errors": errors or [],
        "conflict": conflict,
        "condition": _condition_json(question.condition),
        "options": question.options or {},
    }
    if kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        picked = value if isinstance(value, list) else [value]
        item["choices"] = [
            {"value": str(c.get("value")), "label": label_of(c), "checked": str(c.get("value")) in picked}
            for c in choices(question)
        ]
        item["display"] = (question.options or {}).get("display") or "radio"
    elif kind == QuestionKind.YES_NO:
        item["choices"] = [
            {"value": "yes", "label": None, "checked": value == "yes"},
            {"value": "no", "label": None, "checked": value == "no"},
        ]
    elif kind == QuestionKind.TABLE:
        cols = [{**c, "label_text": label_of(c)} for c in columns(question)]
        rows = value if isinstance(value, list) else []
        item["columns"] = cols
        item["rows"] = [[(c, row.get(c["key"], "")) for c in cols] for row in rows] + [
            [(c, "") for c in cols] for _ in range(TABLE_EMPTY_ROWS)
        ]
        totals = table_totals(question, rows)
        item["totals"] = [totals.get(c["key"]) for c in cols] if any(c.get("total") for c in cols) else None
        item["columns_json"] = json.dumps([{"key": c["key"], "kind": c.get("kind") or "text"} for c in cols])
    elif kind in (QuestionKind.NUMBER, QuestionKind.AMOUNT):
        low, high = (question.options or {}).get("min"), (question.options or {}).get("max")
        has_low, has_high = low not in (None, ""), high not in (None, "")
        if has_low and has_high:
            item["range"] = _("Between %(min)s and %(max)s.") % {"min": low, "max": high}
        elif has_low:
            item["range"] = _("At least %(min)s.") % {"min": low}
        elif has_high:
            item["range"] = _("At most %(max)s.") % {"max": high}
    elif kind == QuestionKind.FILE:
        item["attachments"] = [a for a in attachments if a.document_id and a.document_id == question.document_id]
    return item


def form_items(form, values: dict, *, errors=None, conflicts=None, attachments=()) -> list[dict]:
    """The form's sections for a template, with each question's value from `values` (field name
    -> stored value) and the messages of the last save."""
    errors, conflicts = errors or {}, conflicts or {}
    parts = []
    for index, part in enumerate(form.parts):
        parts.append(
            {
                "section": part.section,
                "anchor": f"section-{part.section.pk or index}",
                "is_budget": part.is_budget,
                "condition": _condition_json(part.section.condition),
                "questions": [
                    question_item(
                        q,
                        values.get(field_name(q), empty_value(q)),
                        errors=errors.get(field_name(q)),
                        conflict=conflicts.get(field_name(q)),
                        attachments=attachments,
                    )
                    for q in part.questions
                ],
            }
        )
    return parts


def posted_answers(post, questions) -> dict:
    """The answers as a page without JavaScript posts them: multiple choice as repeated names,
    a table as one list per column (`q12-<column key>`), any other kind as one value."""
    fields = {}
    for q in questions:
        name = field_name(q)
        if q.kind == QuestionKind.MULTI_CHOICE:
            if f"{name}-present" in post or name in post:
                fields[name] = post.getlist(name)
        elif q.kind == QuestionKind.TABLE:
            cols = [c["key"] for c in columns(q)]
            lists = [post.getlist(f"{name}-{key}") for key in cols]
            if any(lists):
                fields[name] = [dict(zip(cols, cells)) for cells in zip(*lists)]
        elif q.kind != QuestionKind.FILE and name in post:
            fields[name] = post.get(name, "")
    return fields
