"""A form's layout: its sections in order with their questions, and which of them an answer set
shows (conditions on earlier answers). A hidden question is neither required nor submitted."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from grants.calls.form.answers import answer_schema, answer_text, choice_values, empty_value
from grants.calls.form.models import FormPurpose, FormSection, Question, QuestionKind, SectionKind

OPERATORS = {
    "equals": {QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE, QuestionKind.SHORT_TEXT, QuestionKind.NUMBER},
    "in": {QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE},
    "yes": {QuestionKind.YES_NO},
    "no": {QuestionKind.YES_NO},
    "above": {QuestionKind.NUMBER, QuestionKind.AMOUNT},
    "below": {QuestionKind.NUMBER, QuestionKind.AMOUNT},
}


@dataclass
class Part:
    section: FormSection
    questions: list = field(default_factory=list)
    # for the builder's page: (question, the question its condition names) and the section's
    rows: list = field(default_factory=list)
    condition_source: Question | None = None

    @property
    def is_budget(self) -> bool:
        return self.section.kind == SectionKind.BUDGET


def form_load(call_id: int, purpose: str = FormPurpose.APPLICATION) -> "Form":
    """The form of a call for one purpose, in two queries."""
    sections = list(FormSection.objects.filter(call_id=call_id, purpose=purpose).order_by("position", "pk"))
    questions = list(Question.objects.filter(call_id=call_id, purpose=purpose).order_by("position", "pk"))
    return Form(sections, questions, purpose)


class Form:
    """Sections in order, each with its questions in order. Questions with no section (written by
    the API's or the template page's question list) join the first section of questions; an
    application form always has a budget section (at the end when the manager placed none)."""

    def __init__(self, sections, questions, purpose=FormPurpose.APPLICATION):
        self.purpose = purpose
        self.parts = [Part(s) for s in sections]
        by_section = {p.section.pk: p for p in self.parts}
        orphans = []
        for q in questions:
            part = by_section.get(q.section_id)
            (part.questions if part else orphans).append(q)
        if orphans:
            first = next((p for p in self.parts if not p.is_budget), None)
            if first is None:
                first = Part(FormSection(kind=SectionKind.QUESTIONS, title=_("Questions"), purpose=purpose, position=0))
                self.parts.insert(0, first)
            first.questions = sorted(first.questions + orphans, key=lambda q: (q.position, q.pk))
        if purpose == FormPurpose.APPLICATION and not any(p.is_budget for p in self.parts):
            self.parts.append(Part(FormSection(kind=SectionKind.BUDGET, title=_("Budget"), purpose=purpose)))

    @property
    def questions(self) -> list:
        return [q for p in self.parts for q in p.questions]

    @property
    def answerable(self) -> list:
        """The questions whose answer is a value in the draft (every kind but files)."""
        return [q for q in self.questions if q.kind != QuestionKind.FILE]

    def by_id(self) -> dict:
        return {q.pk: q for q in self.questions}

    def shown(self, answers: dict) -> tuple[set, set]:
        """(ids of the questions shown, keys of the sections shown) for these answers."""
        questions: set = set()
        sections: set = set()
        for index, part in enumerate(self.parts):
            if part.section.condition and not condition_holds(part.section.condition, answers, questions):
                continue
            sections.add(part.section.pk or f"part-{index}")
            for q in part.questions:
                if not q.condition or condition_holds(q.condition, answers, questions):
                    questions.add(q.pk)
        return questions, sections

    def answer_rows(self, answers: dict | None, *, blind: bool = False) -> list[tuple]:
        """(question, answer as text) for every question the answers show, in the form's order;
        under blind review the identifying questions are left out."""
        answers = answers or {}
        shown, _sections = self.shown(answers)
        return [
            (q, answer_text(q, answers.get(str(q.pk), empty_value(q))))
            for q in self.answerable
            if q.pk in shown and not (blind and q.identifying)
        ]

    def earlier(self, question=None, section=None) -> list:
        """The questions before `question` (or before `section`) in the form's order."""
        found: list = []
        for part in self.parts:
            if section is not None and part.section.pk == section.pk:
                return found
            for q in part.questions:
                if question is not None and q.pk == question.pk:
                    return found
                found.append(q)
        return found


def _number(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def condition_holds(condition: dict, answers: dict, shown: set) -> bool:
    """Whether an earlier, shown question's answer matches. A condition on a hidden question fails."""
    qid = condition.get("question")
    if qid not in shown:
        return False
    value = answers.get(str(qid))
    op, expected = condition.get("op"), condition.get("value")
    picks = value if isinstance(value, list) else ([value] if value not in (None, "") else [])
    if op == "equals":
        return str(expected) in [str(p) for p in picks]
    if op == "in":
        return bool({str(e) for e in (expected or [])} & {str(p) for p in picks})
    if op in ("yes", "no"):
        return value == op
    if op in ("above", "below"):
        got, bound = _number(value), _number(expected)
        if got is None or bound is None or value in (None, ""):
            return False
        return got > bound if op == "above" else got < bound
    return False


def condition_problems(condition: dict, earlier: list, *, own_id=None) -> list[str]:
    """What is wrong with a condition a manager set: it must name an earlier question of a kind
    the operator reads, and a value it can take."""
    if not condition:
        return []
    qid = condition.get("question")
    if own_id is not None and qid == own_id:
        return [_("A question cannot depend on its own answer.")]
    source = next((q for q in earlier if q.pk == qid), None)
    if source is None:
        return [_("A condition can only refer to a question that comes before it in the form.")]
    op = condition.get("op")
    if op not in OPERATORS or source.kind not in OPERATORS[op]:
        return [_("This kind of condition does not apply to the question “%(q)s”.") % {"q": source}]
    value = condition.get("value")
    if op in ("equals", "in") and source.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        values = value if isinstance(value, list) else [value]
        if not values or any(str(v) not in choice_values(source) for v in values):
            return [_("Choose the answer (or answers) of “%(q)s” that show it.") % {"q": source}]
    if op in ("above", "below") and _number(value) is None:
        return [_("Give the number the answer is compared with.")]
    return []


def form_json(form: Form) -> list[dict]:
    """A form as the API gives it: sections in order, each with its typed questions."""
    return [
        {
            "id": part.section.pk,
            "kind": part.section.kind,
            "title": str(part.section.title),
            "guidance": part.section.guidance or "",
            "condition": part.section.condition or {},
            "questions": [
                {
                    "id": q.pk,
                    "kind": q.kind,
                    "text": q.text,
                    "help_text": q.help_text or "",
                    "required": q.required,
                    "identifying": q.identifying,
                    "max_chars": q.max_chars,
                    "options": q.options or {},
                    "condition": q.condition or {},
                    "document": q.document_id,
                }
                for q in part.questions
            ],
        }
        for part in form.parts
    ]


def answers_schema(form: Form) -> dict:
    """The JSON schema of an application's `answers` for this form (question id -> answer). A
    required question is required only while its conditions show it, so none is listed as
    `required` here; `x-required` and `x-condition` say when."""
    properties = {}
    for q in form.answerable:
        schema = answer_schema(q)
        if q.condition:
            schema["x-condition"] = q.condition
        properties[str(q.pk)] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


# (call id, form token) -> question types. A token names one version of a form, so what is kept
# under it never goes stale: each process keeps the last few forms it served.
_KINDS: dict[tuple[int, str], dict] = {}
_KINDS_KEPT = 256


def question_kinds(call_id: int, form_token: str, needed=()) -> dict:
    """{question id: (kind, options, max_chars)} of the call's application form, what judging an
    answer needs: kept in this process under the form's token, which every change to the form
    replaces (the hottest path, autosave, then reads no question row and asks no cache server).
    A question `needed` but not in the kept copy is looked for in the database before it is
    called unknown."""
    key = (call_id, form_token)
    kinds = _KINDS.get(key)
    if kinds is None or any(pk not in kinds for pk in needed):
        kinds = {
            pk: (kind, options or {}, max_chars)
            for pk, kind, options, max_chars in Question.objects.filter(
                call_id=call_id, purpose=FormPurpose.APPLICATION
            )
            .exclude(kind=QuestionKind.FILE)
            .values_list("pk", "kind", "options", "max_chars")
        }
        if len(_KINDS) >= _KINDS_KEPT:
            _KINDS.pop(next(iter(_KINDS)))
        _KINDS[key] = kinds
    return kinds
