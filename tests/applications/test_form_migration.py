"""The data migration that turns today's fixed blocks into each call's form: questions become a
section of long-text questions (same ids, so drafts keep their answers), the budget a budget
section, each document a file question holding it; an application submitted before it keeps its
content, and its receipt still verifies."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from applications import services
from grants.calls.form.models import FormSection, Question, QuestionKind, SectionKind
from tests.applications.conftest import fill_complete

pytestmark = pytest.mark.django_db

migration = importlib.import_module("grants.migrations.0012_forms_from_fixed_blocks")


def test_old_calls_get_their_form_and_an_old_receipt_still_verifies(client, applicant, draft, call):
    app = fill_complete(applicant, draft)
    app = services.application_submit(actor=applicant, application_id=app.pk)
    # What a submission stored before typed forms: answers as text, no kind.
    old = dict(app.submitted_content)
    old["answers"] = [
        {"question_id": a["question_id"], "question": a["question"], "max_chars": 2000, "answer": a["answer"]}
        for a in old["answers"]
    ]
    receipt = services.content_sha256(old)
    type(app).objects.filter(pk=app.pk).update(submitted_content=old, receipt_sha256=receipt)
    question_ids = set(Question.objects.filter(call=call).values_list("pk", flat=True))
    FormSection.objects.filter(call=call).delete()

    migration.forward(apps, None)

    sections = list(FormSection.objects.filter(call=call).order_by("position"))
    assert [(s.title_en, s.kind) for s in sections] == [
        ("Questions", SectionKind.QUESTIONS),
        ("Budget", SectionKind.BUDGET),
        ("Documents", SectionKind.QUESTIONS),
    ]
    assert sections[0].title_uk == "Питання"
    kept = Question.objects.filter(pk__in=question_ids)
    assert all(q.section_id == sections[0].pk and q.kind == QuestionKind.LONG_TEXT for q in kept)
    statute = Question.objects.get(call=call, kind=QuestionKind.FILE)
    assert statute.document.name == "Statute of the organisation" and statute.section_id == sections[2].pk
    assert call.checklist.count() == 5

    app.refresh_from_db()
    assert app.receipt_sha256 == receipt
    assert services.content_sha256(app.submitted_content) == app.receipt_sha256
    client.force_login(applicant)
    raw = client.get(reverse("applications:application_submitted_json", args=[app.pk])).content
    import hashlib

    assert hashlib.sha256(raw).hexdigest() == receipt
    page = client.get(reverse("applications:application_detail", args=[app.pk])).content.decode()
    assert "Answer to What problem does the action address?" in page
