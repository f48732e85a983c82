"""Answers by type: what a draft may store (`answer_parse`, on every autosave), what stops a
submission (`answer_problems`), how an answer reads as text (PDF, exports, reviewers) and the
JSON schema of a form's answers (the API). Pure functions of a question and a value.

Stored values: text kinds, e-mail and web address as text; number and amount as a decimal's text;
a date as YYYY-MM-DD; a single choice as the choice's value; multiple choice as a list of values;
yes/no as "yes" or "no"; a table as a list of rows {column key: text}; "" (or []) when unanswered.
A file question's answer is its attachments, not a value."""

import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext as _

from core.formatting import decimal_normalise
from core.languages import main_language
from core.money import amount_parse
from core.text import multi_line, single_line
from grants.calls.form.models import QuestionKind

TEXT_MAX = 100_000  # a draft keeps over-long text (the limit is checked on submission), up to this
TABLE_MAX_ROWS = 200
TEXT_KINDS = {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT, QuestionKind.EMAIL, QuestionKind.URL}
CHOICE_KINDS = {QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE}
COLUMN_KINDS = ("text", "number", "amount", "date")
YES, NO = "yes", "no"


def label_of(item: dict, language: str | None = None) -> str:
    """A choice's or a column's label in the language shown, else the form's main language."""
    labels = item.get("label") or {}
    if isinstance(labels, str):
        return labels
    return labels.get(language or get_language() or "") or labels.get(main_language()) or str(item.get("value", ""))


def choices(question) -> list[dict]:
    return list((question.options or {}).get("choices") or [])


def choice_values(question) -> list[str]:
    return [str(c.get("value")) for c in choices(question)]


def columns(question) -> list[dict]:
    return list((question.options or {}).get("columns") or [])


def empty_value(question):
    return [] if question.kind in (QuestionKind.MULTI_CHOICE, QuestionKind.TABLE) else ""


def is_empty(value) -> bool:
    if isinstance(value, list):
        return not value
    return not str(value if value is not None else "").strip()


def _decimal(raw) -> Decimal:
    text = decimal_normalise(str(raw if raw is not None else ""))
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number."))
    if not value.is_finite() or abs(value) >= Decimal(10) ** 15:
        raise ValidationError(_("Enter a number."))
    return value


def _number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _bound(options: dict, name: str) -> Decimal | None:
    value = options.get(name)
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _scalar(kind: str, raw, options: dict) -> str:
    """One value of a scalar kind (also a table cell) in its stored form; ValidationError else."""
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return ""
    if kind == QuestionKind.NUMBER:
        value = _decimal(text)
        low, high = _bound(options, "min"), _bound(options, "max")
        if low is not None and value < low:
            raise ValidationError(_("Enter %(min)s or more.") % {"min": _number_text(low)})
        if high is not None and value > high:
            raise ValidationError(_("Enter %(max)s or less.") % {"max": _number_text(high)})
        return _number_text(value)
    if kind == QuestionKind.AMOUNT:
        value = amount_parse(text, allow_zero=True)
        low, high = _bound(options, "min"), _bound(options, "max")
        if low is not None and value < low:
            raise ValidationError(_("Enter %(min)s or more.") % {"min": _number_text(low)})
        if high is not None and value > high:
            raise ValidationError(_("Enter %(max)s or less.") % {"max": _number_text(high)})
        return str(value)
    if kind == QuestionKind.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as year-month-day, e.g. 2027-03-31."))
    return single_line(text)


def _table(question, raw) -> list[dict]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "[]")
        except ValueError:
            raise ValidationError(_("The table could not be read."))
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise ValidationError(_("The table could not be read."))
    cols = columns(question)
    max_rows = int((question.options or {}).get("max_rows") or TABLE_MAX_ROWS)
    rows, problems = [], []
    for number, row in enumerate(raw, start=1):
        cells = {}
        for col in cols:
            kind = col.get("kind") or "text"
            try:
                cells[col["key"]] = (
                    _scalar(kind, row.get(col["key"]), {})
                    if kind != "text"
                    else single_line(str(row.get(col["key"]) or "")).strip()[:2000]
                )
            except ValidationError as exc:
                problems.append(
                    _("Row %(n)s, %(column)s: %(message)s")
                    % {"n": number, "column": label_of(col), "message": " ".join(exc.messages)}
                )
        if any(cells.values()):
            rows.append(cells)
    if len(rows) > max_rows:
        problems.insert(
            0,
            ngettext("The table takes at most %(n)s row.", "The table takes at most %(n)s rows.", max_rows)
            % {"n": max_rows},
        )
    if problems:
        raise ValidationError(problems)
    return rows


def answer_parse(question, raw):
    """The value a draft stores for `raw`, or ValidationError with what is wrong with it."""
    kind = question.kind
    if kind == QuestionKind.FILE:
        raise ValidationError(_("Files are added with the upload form, not typed."))
    if kind in TEXT_KINDS:
        text = str(raw if raw is not None else "").replace("\r\n", "\n")
        text = multi_line(text) if kind == QuestionKind.LONG_TEXT else single_line(text)
        if len(text) > TEXT_MAX:
            raise ValidationError(_("At most %(n)s characters can be saved here.") % {"n": TEXT_MAX})
        return text
    if kind == QuestionKind.CHOICE:
        value = str(raw if raw is not None else "").strip()
        if value and value not in choice_values(question):
            raise ValidationError(_("Choose one of the answers offered."))
        return value
    if kind == QuestionKind.YES_NO:
        value = str(raw if raw is not None else "").strip().lower()
        if value not in ("", YES, NO):
            raise ValidationError(_("Answer yes or no."))
        return value
    if kind == QuestionKind.MULTI_CHOICE:
        picks = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        picks = [str(p) for p in picks]
        allowed = choice_values(question)
        if any(p not in allowed for p in picks) or len(set(picks)) != len(picks):
            raise ValidationError(_("Choose among the answers offered, each once."))
        most = (question.options or {}).get("max_picks")
        if most and len(picks) > int(most):
            raise ValidationError(
                ngettext("Choose at most %(n)s answer.", "Choose at most %(n)s answers.", int(most)) % {"n": most}
            )
        return [v for v in allowed if v in picks]  # in the form's order: the same picks, the same value
    if kind == QuestionKind.TABLE:
        return _table(question, raw)
    return _scalar(kind, raw, question.options or {})


def answer_problems(question, value) -> list[str]:
    """What stops a submission in this (visible) question's answer, naming the question."""
    name = str(question)
    if question.kind == QuestionKind.FILE:
        return []
    if is_empty(value):
        return [_("Answer the question “%(q)s”.") % {"q": name}] if question.required else []
    if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT) and len(str(value)) > question.max_chars:
        return [
            _("The answer to “%(q)s” has %(n)s characters; the limit is %(max)s.")
            % {"q": name, "n": len(str(value)), "max": question.max_chars}
        ]
    if question.kind == QuestionKind.EMAIL:
        try:
            EmailValidator()(str(value))
        except ValidationError:
            return [_("“%(q)s”: enter an e-mail address, e.g. office@example.org.") % {"q": name}]
    if question.kind == QuestionKind.URL:
        try:
            URLValidator(schemes=["http", "https"])(str(value))
        except ValidationError:
            return [_("“%(q)s”: enter a web address starting with https://.") % {"q": name}]
    if question.kind == QuestionKind.MULTI_CHOICE:
        least = (question.options or {}).get("min_picks")
        if least and len(value) < int(least):
            return [
                ngettext(
                    "“%(q)s”: choose at least %(n)s answer.", "“%(q)s”: choose at least %(n)s answers.", int(least)
                )
                % {"q": name, "n": least}
            ]
    try:  # what the draft kept may have been checked under other rules: judge it again
        answer_parse(question, value)
    except ValidationError as exc:
        return [_("“%(q)s”: %(message)s") % {"q": name, "message": " ".join(exc.messages)}]
    return []


def answer_text(question, value, language: str | None = None) -> str:
    """An answer as a person reads it (PDF, exports, the reviewer's page)."""
    if is_empty(value):
        return ""
    kind = question.kind
    if kind == QuestionKind.CHOICE:
        return next((label_of(c, language) for c in choices(question) if str(c.get("value")) == value), str(value))
    if kind == QuestionKind.MULTI_CHOICE:
        labels = {str(c.get("value")): label_of(c, language) for c in choices(question)}
        return "; ".join(labels.get(v, v) for v in value)
    if kind == QuestionKind.YES_NO:
        return gettext("Yes") if value == YES else gettext("No")
    if kind == QuestionKind.TABLE:
        cols = columns(question)
        lines = [" | ".join(label_of(c, language) for c in cols)]
        lines += [" | ".join(str(row.get(c["key"], "")) for c in cols) for row in value]
        totals = table_totals(question, value)
        if totals:
            lines.append(" | ".join(totals.get(c["key"], "") for c in cols))
        return "\n".join(lines)
    if kind in (QuestionKind.NUMBER, QuestionKind.AMOUNT) and (unit := (question.options or {}).get("unit")):
        return f"{value} {unit}"
    return str(value)


def table_totals(question, rows: list) -> dict:
    """{column key: total} for the columns the manager asked totals of."""
    totals = {}
    for col in columns(question):
        if col.get("total") and col.get("kind") in ("number", "amount"):
            total = sum((Decimal(str(row.get(col["key"]) or 0)) for row in rows), Decimal("0"))
            totals[col["key"]] = str(total)
    return totals


_SCALAR_SCHEMA = {
    "number": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
    "amount": {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"},
    "date": {"type": "string", "format": "date"},
    "text": {"type": "string"},
}


def answer_schema(question) -> dict:
    """The JSON schema of one question's stored answer."""
    kind = question.kind
    title = {"title": str(question), "x-kind": kind, "x-required": question.required}
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        return {**title, "type": "string", "maxLength": question.max_chars}
    if kind == QuestionKind.EMAIL:
        return {**title, "type": "string", "format": "email"}
    if kind == QuestionKind.URL:
        return {**title, "type": "string", "format": "uri"}
    if kind in (QuestionKind.NUMBER, QuestionKind.AMOUNT, QuestionKind.DATE):
        return {**title, **_SCALAR_SCHEMA[kind]}
    if kind == QuestionKind.CHOICE:
        return {**title, "type": "string", "enum": ["", *choice_values(question)]}
    if kind == QuestionKind.YES_NO:
        return {**title, "type": "string", "enum": ["", YES, NO]}
    if kind == QuestionKind.MULTI_CHOICE:
        schema = {**title, "type": "array", "items": {"enum": choice_values(question)}, "uniqueItems": True}
        if (question.options or {}).get("max_picks"):
            schema["maxItems"] = int(question.options["max_picks"])
        return schema
    if kind == QuestionKind.TABLE:
        props = {
            c["key"]: {**_SCALAR_SCHEMA.get(c.get("kind") or "text", {}), "title": label_of(c)}
            for c in columns(question)
        }
        return {
            **title,
            "type": "array",
            "maxItems": int((question.options or {}).get("max_rows") or TABLE_MAX_ROWS),
            "items": {"type": "object", "properties": props, "additionalProperties": False},
        }
    return {**title, "description": gettext("Attachments of this document slot"), "readOnly": True}
