"""What a call's forms start from: a new call's application form (a section of questions and the
budget section), its interim and final report forms (the EU narrative questions) and its screening
checklist; a copied call's every form, with its questions' conditions pointing at the copies."""

from django.utils import translation
from django.utils.translation import gettext_lazy

from core.languages import codes
from grants.calls.form.checklist import checklist_defaults_create
from grants.calls.form.models import ChecklistItem, FormPurpose, FormSection, Question, SectionKind
from grants.calls.models import Call, RequiredDocument

# The report forms a new call starts from (EU practice for interim and final narrative reports);
# the managers change them in the builder. (text, required)
REPORT_QUESTIONS = {
    FormPurpose.INTERIM: [
        (gettext_lazy("Summary of progress"), True),
        (gettext_lazy("Activities carried out"), True),
        (gettext_lazy("Results achieved so far"), True),
        (gettext_lazy("Challenges and how they were addressed"), False),
        (gettext_lazy("Plans for the next period"), False),
    ],
    FormPurpose.FINAL: [
        (gettext_lazy("Summary of the action"), True),
        (gettext_lazy("Activities carried out"), True),
        (gettext_lazy("Results and impact"), True),
        (gettext_lazy("Challenges and how they were addressed"), False),
        (gettext_lazy("Sustainability and lessons learned"), True),
    ],
}


def _in_every_language(name: str, text) -> dict:
    texts = {}
    for code in codes():
        with translation.override(code):
            texts[f"{name}_{code}"] = str(text)
    return texts


def call_form_defaults_create(call: Call, *, reports: bool = True) -> None:
    """What a new call starts from: an application form of one section of questions and the
    budget section, interim and final report forms of narrative questions, and the default
    screening checklist."""
    sections = []
    for position, (kind, title) in enumerate(
        ((SectionKind.QUESTIONS, gettext_lazy("Questions")), (SectionKind.BUDGET, gettext_lazy("Budget"))), start=1
    ):
        texts = {}
        for code in codes():
            with translation.override(code):
                texts[f"title_{code}"] = str(title)
        sections.append(FormSection(call=call, purpose=FormPurpose.APPLICATION, position=position, kind=kind, **texts))
    FormSection.objects.bulk_create(sections)
    for purpose, questions in REPORT_QUESTIONS.items() if reports else ():
        section = FormSection.objects.create(
            call=call, purpose=purpose, position=1, **_in_every_language("title", gettext_lazy("Narrative"))
        )
        Question.objects.bulk_create(
            [
                Question(
                    call=call,
                    purpose=purpose,
                    section=section,
                    position=position,
                    required=required,
                    max_chars=10000,
                    **_in_every_language("text", text),
                )
                for position, (text, required) in enumerate(questions, start=1)
            ]
        )
    checklist_defaults_create(call)


def call_forms_copy(source: Call, copy: Call) -> None:
    """Every form of `source` (sections, questions with their kinds, options and conditions, the
    documents its file questions hold) and its checklist, onto the new call `copy`."""

    def clone(row, **changes):
        row.pk = None
        row.id = None
        for name, value in changes.items():
            setattr(row, name, value)
        row.save()
        return row

    documents = {
        d.pk: clone(d, call=copy) for d in RequiredDocument.objects.filter(call=source).order_by("position", "pk")
    }
    sections = {s.pk: clone(s, call=copy) for s in FormSection.objects.filter(call=source).order_by("position", "pk")}
    questions = {}
    for q in Question.objects.filter(call=source).order_by("position", "pk"):
        old = q.pk
        new_document = documents.get(q.document_id) if q.document_id else None
        section = sections.get(q.section_id) if q.section_id else None
        questions[old] = clone(q, call=copy, section=section, document=new_document)
    rows: list = [*questions.values(), *sections.values()]
    for row in rows:
        if (row.condition or {}).get("question") in questions:
            row.condition = {**row.condition, "question": questions[row.condition["question"]].pk}
            row.save(update_fields=["condition"])
    for item in ChecklistItem.objects.filter(call=source).order_by("position", "pk"):
        clone(item, call=copy)
