"""Today's fixed blocks become parts of each call's form: its questions a "Questions" section
(long text, as they were), the budget table a budget section, each required document a file
question in a "Documents" section; every call gets the screening checklist it was screened with.
Submitted applications keep their stored content, so their receipts verify as before."""

from django.conf import settings
from django.db import migrations
from django.utils import translation

SECTIONS = [("Questions", "questions"), ("Budget", "budget"), ("Documents", "questions")]

# The five items every call was screened with (applications.services.screening before this).
CHECKLIST = [
    ("on_time", "Submitted before the deadline (the system's record)."),
    ("organisation", "The organisation is of an eligible type and country, and its registration is valid."),
    ("limits", "The amount requested, the duration and the co-financing are within the call's limits."),
    ("budget", "The budget is complete and consistent, with indirect costs within the cap."),
    ("documents", "Every required document is attached, complete, legible and signed where needed."),
]


def in_every_language(name: str, msgid: str) -> dict:
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[f"{name}_{code}"] = translation.gettext(msgid)
    return texts


def forward(apps, schema_editor):
    Call = apps.get_model("grants", "Call")
    Section = apps.get_model("grants", "FormSection")
    Question = apps.get_model("grants", "Question")
    Document = apps.get_model("grants", "RequiredDocument")
    Item = apps.get_model("grants", "ChecklistItem")
    languages = [code for code, _name in settings.LANGUAGES]
    for call in Call.objects.all():
        if Section.objects.filter(call=call).exists():
            continue
        questions_section = Section.objects.create(
            call=call, purpose="application", position=1, kind="questions", **in_every_language("title", "Questions")
        )
        Question.objects.filter(call=call).update(section=questions_section, purpose="application", kind="long_text")
        Section.objects.create(
            call=call, purpose="application", position=2, kind="budget", **in_every_language("title", "Budget")
        )
        documents = list(Document.objects.filter(call=call).order_by("position", "pk"))
        if documents:
            documents_section = Section.objects.create(
                call=call,
                purpose="application",
                position=3,
                kind="questions",
                **in_every_language("title", "Documents"),
            )
            for position, doc in enumerate(documents, start=1):
                texts = {f"text_{code}": getattr(doc, f"name_{code}", None) for code in languages}
                helps = {f"help_text_{code}": getattr(doc, f"description_{code}", None) for code in languages}
                Question.objects.create(
                    call=call,
                    purpose="application",
                    section=documents_section,
                    position=position,
                    kind="file",
                    text=doc.name_en or doc.name or "",
                    required=doc.required,
                    document=doc,
                    **{k: v for k, v in {**texts, **helps}.items() if v is not None},
                )
        for position, (key, label) in enumerate(CHECKLIST, start=1):
            Item.objects.create(call=call, position=position, key=key, **in_every_language("label", label))


def backward(apps, schema_editor):
    apps.get_model("grants", "Question").objects.filter(kind="file").delete()
    apps.get_model("grants", "FormSection").objects.all().delete()
    apps.get_model("grants", "ChecklistItem").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("grants", "0011_typed_forms")]

    operations = [migrations.RunPython(forward, backward)]
