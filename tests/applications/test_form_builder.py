"""The form builder: a manager builds a call's form in the browser's pages (sections, typed
questions, conditions, tables), applicants' answers are judged by type, hidden questions are
neither required nor sent, and the form freezes at the first submission."""

import pytest
from django.urls import reverse

from applications import services
from applications.models import ApplicationState
from audit.models import AuditEvent
from grants.calls.form import builder
from grants.calls.form.models import FormChange, FormSection, Question, QuestionKind, SectionKind
from grants.calls.models import CallState
from tests.applications.conftest import fill_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(call, manager):
    Question.objects.filter(call=call).delete()  # the factory's template questions: this form starts empty
    return builder.section_save(
        actor=manager, call_id=call.pk, purpose="application", values={"title_en": "Your organisation"}
    )


def _post_question(client, call, section, **data):
    payload = {"section": section.pk, "kind": "long_text", "text": "Q", "required": "on", "max_chars": "3000"}
    payload.update(data)
    return client.post(reverse("calls:form_question_add", args=[call.pk]) + "?purpose=application", payload)


def test_a_manager_builds_a_form_with_a_choice_a_condition_and_a_table(client, call, manager, section):
    client.force_login(manager)
    response = _post_question(
        client, call, section, kind="choice", text="Do you work with partners?", choices="With partners\nAlone"
    )
    assert response.status_code == 302, response.context["form"].errors
    choice = Question.objects.get(call=call, text_en="Do you work with partners?")
    assert [c["label"]["en"] for c in choice.options["choices"]] == ["With partners", "Alone"]
    response = _post_question(
        client,
        call,
        section,
        kind="table",
        text="Partners",
        table_columns="Partner | text\nContribution | amount | total",
        max_rows="3",
        cond_question=str(choice.pk),
        cond_op="equals",
        cond_value="With partners",
    )
    assert response.status_code == 302, response.context["form"].errors
    table = Question.objects.get(call=call, text_en="Partners")
    assert table.condition == {"question": choice.pk, "op": "equals", "value": choice.options["choices"][0]["value"]}
    assert [c["kind"] for c in table.options["columns"]] == ["text", "amount"]
    assert table.options["columns"][1]["total"] is True

    page = client.get(reverse("calls:form_builder", args=[call.pk]))
    assert "Do you work with partners?" in page.content.decode()
    preview = client.get(reverse("calls:form_preview", args=[call.pk]) + "?lang=uk")
    body = preview.content.decode()
    assert preview.status_code == 200 and "Partners" in body and 'data-condition="' in body
    assert AuditEvent.objects.filter(action="form_question_add").count() == 2


def test_a_condition_on_a_later_question_or_on_itself_is_refused(client, call, manager, section):
    client.force_login(manager)
    first = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Staff?", "kind": "yes_no"},
        options={},
    )
    later = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "How many?", "kind": "number"},
        options={},
    )
    response = client.post(
        reverse("calls:form_question", args=[call.pk, first.pk]),
        {
            "section": section.pk,
            "kind": "yes_no",
            "text": "Staff?",
            "cond_question": later.pk,
            "cond_op": "above",
            "cond_value": "2",
            "max_chars": "3000",
        },
    )
    assert response.status_code == 200
    assert "comes before it" in response.content.decode()
    response = client.post(
        reverse("calls:form_question", args=[call.pk, later.pk]),
        {
            "section": section.pk,
            "kind": "number",
            "text": "How many?",
            "cond_question": first.pk,
            "cond_op": "above",
            "cond_value": "2",
            "max_chars": "3000",
        },
    )
    assert "does not apply" in response.content.decode()  # a yes/no question has no number to compare
    first.refresh_from_db()
    assert first.condition == {}


def test_moving_a_question_above_the_answer_it_depends_on_is_refused(call, manager, section):
    first = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Staff?", "kind": "yes_no"},
        options={},
    )
    second = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "How many?", "kind": "number"},
        options={},
        condition={"question": first.pk, "op": "yes"},
    )
    with pytest.raises(Exception, match="depends on an earlier answer"):
        builder.question_move(actor=manager, question_id=second.pk, step=-1)
    assert list(Question.objects.filter(section=section).order_by("position").values_list("pk", flat=True)) == [
        first.pk,
        second.pk,
    ]


def test_keyboard_reorder_and_duplicate_by_buttons(client, call, manager, section):
    client.force_login(manager)
    a = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "A", "kind": "short_text"},
        options={},
    )
    b = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "B", "kind": "short_text"},
        options={},
    )
    client.post(reverse("calls:form_question_move", args=[call.pk, b.pk]), {"step": "up"})
    assert list(Question.objects.filter(section=section).order_by("position").values_list("text_en", flat=True)) == [
        "B",
        "A",
    ]
    client.post(reverse("calls:form_question_duplicate", args=[call.pk, a.pk]))
    assert list(Question.objects.filter(section=section).order_by("position").values_list("text_en", flat=True)) == [
        "B",
        "A",
        "A",
    ]


def test_someone_else_cannot_build_the_form(client, call, applicant, section):
    client.force_login(applicant)
    assert client.get(reverse("calls:form_builder", args=[call.pk])).status_code == 404
    response = _post_question(client, call, section, text="Sneaky")
    assert response.status_code == 404
    assert not Question.objects.filter(text_en="Sneaky").exists()


def _typed_form(call, manager, section):
    partners = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Partners?", "kind": "yes_no", "required": True},
        options={},
    )
    table = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Partner list", "kind": "table", "required": True},
        options={
            "columns": [
                {"key": "c1", "label": {"en": "Name"}, "kind": "text"},
                {"key": "c2", "label": {"en": "Share"}, "kind": "amount", "total": True},
            ],
            "max_rows": 2,
        },
        condition={"question": partners.pk, "op": "yes"},
    )
    topics = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Topics", "kind": "multi_choice", "required": False},
        options={
            "choices": [{"value": v, "label": {"en": v.title()}} for v in ("courts", "media", "budget")],
            "max_picks": 2,
        },
    )
    staff = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Staff", "kind": "number", "required": False},
        options={"min": "1", "max": "500"},
    )
    return partners, table, topics, staff


def test_answers_are_judged_by_type_on_autosave_and_nothing_else_is_lost(applicant, draft, call, manager, section):
    partners, table, topics, staff = _typed_form(call, manager, section)
    result = services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=draft.version,
        fields={
            "title": "Kept",
            f"q{staff.pk}": "many",
            f"q{topics.pk}": ["courts", "media", "budget"],
            f"q{table.pk}": [{"c1": "A", "c2": "1"}, {"c1": "B", "c2": "2"}, {"c1": "C", "c2": "3"}],
            f"q{partners.pk}": "maybe",
        },
    )
    assert result.errors[f"q{staff.pk}"] == ["Enter a number."]
    assert result.errors[f"q{topics.pk}"] == ["Choose at most 2 answers."]
    assert "The table takes at most 2 rows." in result.errors[f"q{table.pk}"]
    assert result.errors[f"q{partners.pk}"] == ["Answer yes or no."]
    draft.refresh_from_db()
    assert draft.title == "Kept"  # the valid field was saved
    result = services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=draft.version,
        fields={f"q{staff.pk}": "1 000" if False else "12", f"q{staff.pk}x": "x"},
    )
    draft.refresh_from_db()
    assert draft.answers[str(staff.pk)] == "12"


def test_a_hidden_question_is_neither_required_nor_sent(applicant, draft, call, manager, section):
    partners, table, topics, staff = _typed_form(call, manager, section)
    app = fill_complete(applicant, draft)
    services.application_autosave(
        actor=applicant,
        application_id=app.pk,
        version=app.version,
        fields={f"q{partners.pk}": "yes", f"q{table.pk}": [{"c1": "Partner A", "c2": "100"}]},
    )
    services.application_autosave(
        actor=applicant, application_id=app.pk, version=app.version + 1, fields={f"q{partners.pk}": "no"}
    )
    app.refresh_from_db()
    assert app.answers[str(table.pk)] == [{"c1": "Partner A", "c2": "100.00"}]  # kept in the draft
    assert services.application_submission_problems(app) == []
    submitted = services.application_submit(actor=applicant, application_id=app.pk)
    sent = {a["question_id"]: a for a in submitted.submitted_content["answers"]}
    assert table.pk not in sent and sent[partners.pk]["answer"] == "no"
    assert sent[partners.pk]["text"] == "No"


def test_a_shown_required_question_stops_the_submission_with_a_link_to_it(applicant, draft, call, manager, section):
    partners, table, _topics, _staff = _typed_form(call, manager, section)
    app = fill_complete(applicant, draft)
    services.application_autosave(
        actor=applicant, application_id=app.pk, version=app.version, fields={f"q{partners.pk}": "yes"}
    )
    app.refresh_from_db()
    problems = services.application_submission_problems(app)
    assert [(str(p), p.field) for p in problems] == [("Answer the question “Partner list”.", f"q{table.pk}")]


def test_the_first_submission_freezes_the_form_to_wording_fixes(
    client, applicant, draft, call, manager, section, colleague
):
    partners, *_rest = _typed_form(call, manager, section)
    services.application_autosave(
        actor=applicant, application_id=draft.pk, version=draft.version, fields={f"q{partners.pk}": "no"}
    )
    app = fill_complete(applicant, draft)
    services.application_submit(actor=applicant, application_id=app.pk)
    call.refresh_from_db()
    assert call.form_frozen_at is not None
    with pytest.raises(Exception, match="only the wording"):
        builder.question_save(
            actor=manager,
            call_id=call.pk,
            purpose="application",
            section_id=section.pk,
            values={"text_en": "New", "kind": "short_text"},
            options={},
        )
    with pytest.raises(Exception, match="only the wording"):
        builder.question_delete(actor=manager, question_id=partners.pk)
    builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        question_id=partners.pk,
        section_id=section.pk,
        values={"text_en": "Do you work with partners?", "kind": "number"},
        options={},
        condition={"question": 1, "op": "yes"},
    )
    partners.refresh_from_db()
    assert (
        partners.text_en == "Do you work with partners?"
        and partners.kind == QuestionKind.YES_NO
        and partners.condition == {}
    )
    assert FormChange.objects.filter(call=call, question=partners).exists()
    assert AuditEvent.objects.filter(action="form_wording_fix").exists()


def test_a_choice_drafts_have_chosen_cannot_be_removed(call, manager, section, applicant, draft):
    _p, _t, topics, _s = _typed_form(call, manager, section)
    services.application_autosave(
        actor=applicant, application_id=draft.pk, version=draft.version, fields={f"q{topics.pk}": ["media"]}
    )
    with pytest.raises(Exception, match="Drafts have chosen “Media”"):
        builder.question_save(
            actor=manager,
            call_id=call.pk,
            purpose="application",
            question_id=topics.pk,
            section_id=section.pk,
            values={"text_en": "Topics", "kind": "multi_choice"},
            options={
                "choices": [
                    {"value": "courts", "label": {"en": "Courts"}},
                    {"value": "budget", "label": {"en": "Budget"}},
                ]
            },
        )
    topics.refresh_from_db()
    assert len(topics.options["choices"]) == 3


def test_drafts_are_told_what_changed_in_a_published_form(client, applicant, draft, call, manager, section):
    builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Added after you started", "kind": "short_text"},
        options={},
    )
    client.force_login(applicant)
    body = client.get(reverse("applications:application_edit", args=[draft.pk])).content.decode()
    assert "Question added: “Added after you started”." in body


def test_the_screening_checklist_is_the_calls_own(client, call, manager, submitted):
    from grants.calls.form.checklist import checklist_save

    checklist_save(
        actor=manager,
        call_id=call.pk,
        rows=[{"label": "Statute signed by the board"}, {"label": "Bank account in the organisation's name"}],
    )
    client.force_login(manager)
    page = client.get(reverse("applications:application_detail", args=[submitted.pk])).content.decode()
    assert "Statute signed by the board" in page and "The budget is complete and consistent" not in page
    keys = list(call.checklist.order_by("position").values_list("key", flat=True))
    with pytest.raises(Exception, match="Not yet checked: Bank account"):
        services.application_mark_eligible(actor=manager, application_id=submitted.pk, checklist={keys[0]: True})
    services.application_mark_eligible(
        actor=manager, application_id=submitted.pk, checklist={keys[0]: True, keys[1]: True}
    )
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.ELIGIBLE
    event = AuditEvent.objects.filter(data__checklist__isnull=False).order_by("seq").last()
    assert event.data["checklist"] == {keys[0]: True, keys[1]: True}


def test_a_new_call_starts_with_its_sections_and_checklist_and_a_copy_carries_the_form(
    manager, programme, call, section
):
    from grants.calls.copying import call_copy
    from grants.calls.form.defaults import call_form_defaults_create

    call_form_defaults_create(call)
    q = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Partners?", "kind": "yes_no"},
        options={},
    )
    builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Which?", "kind": "short_text"},
        options={},
        condition={"question": q.pk, "op": "yes"},
    )
    copy = call_copy(actor=manager, call_id=call.pk, code="adv-2027")
    copied = {x.text_en: x for x in Question.objects.filter(call=copy)}
    assert copied["Which?"].condition == {"question": copied["Partners?"].pk, "op": "yes"}
    assert copied["Which?"].section.call_id == copy.pk
    assert FormSection.objects.filter(call=copy, kind=SectionKind.BUDGET).count() == 1
    assert copy.checklist.count() == 5 and copy.state == CallState.DRAFT


def _eligibility_check(call, manager):
    section = builder.section_save(
        actor=manager, call_id=call.pk, purpose="eligibility", values={"title_en": "Before you start"}
    )
    kind = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="eligibility",
        section_id=section.pk,
        values={"text_en": "Is your organisation registered as a non-profit?", "kind": "yes_no", "required": True},
        options={"accept": ["yes"]},
    )
    years = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="eligibility",
        section_id=section.pk,
        values={"text_en": "Years since registration", "kind": "number", "required": True},
        options={"accept": {"min": "2"}},
    )
    return kind, years


def test_an_organisation_that_does_not_qualify_is_told_why_before_a_draft_exists(client, call, manager, applicant, org):
    kind, years = _eligibility_check(call, manager)
    client.force_login(applicant)
    response = client.post(reverse("applications:call_apply", args=[call.pk]), {"organisation": org.pk})
    assert response.status_code == 302 and "/eligibility/" in response["Location"]
    response = client.post(
        reverse("applications:call_eligibility", args=[call.pk]),
        {"organisation": org.pk, f"q{kind.pk}": "no", f"q{years.pk}": "1"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "“Is your organisation registered as a non-profit?”: your answer “No” does not qualify; this call accepts Yes."
        in body
    )
    assert "“Years since registration”: your answer is 1; this call requires at least 2." in body
    assert not call.applications.exists()
    response = client.post(
        reverse("applications:call_eligibility", args=[call.pk]),
        {"organisation": org.pk, f"q{kind.pk}": "yes", f"q{years.pk}": "3"},
    )
    app = call.applications.get()
    assert response["Location"] == reverse("applications:application_edit", args=[app.pk])
    assert app.eligibility["answers"] == {str(kind.pk): "yes", str(years.pk): "3"} and app.eligibility["eligible"]


def test_the_eligibility_check_in_ukrainian(client, call, manager, applicant, org):
    kind, years = _eligibility_check(call, manager)
    Question.objects.filter(pk=years.pk).update(text_uk="Скільки років від реєстрації")
    applicant.language = "uk"
    applicant.save()
    client.force_login(applicant)
    response = client.post(
        reverse("applications:call_eligibility", args=[call.pk]),
        {"organisation": org.pk, f"q{kind.pk}": "yes", f"q{years.pk}": "1"},
        HTTP_ACCEPT_LANGUAGE="uk",
    )
    assert "Скільки років від реєстрації" in response.content.decode()


def test_an_api_client_cannot_skip_the_eligibility_check(call, manager, applicant, org):
    _eligibility_check(call, manager)
    with pytest.raises(Exception, match="eligibility check first"):
        services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)


def test_a_file_question_is_a_document_slot_with_its_own_types(call, manager, section, applicant, draft):
    from tests.applications.conftest import PDF, upload

    budget = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Budget spreadsheet", "kind": "file", "required": True},
        options={"file_types": ["xlsx", "ods"], "max_mb": 2},
    )
    assert budget.document is not None and budget.document.required
    with pytest.raises(Exception, match="accepted as xlsx, ods only"):
        services.attachment_upload(
            actor=applicant, application_id=draft.pk, uploaded=upload("budget.pdf", PDF), document_id=budget.document_id
        )
    draft.refresh_from_db()
    assert "Attach the document “Budget spreadsheet”." in services.application_submission_problems(draft)


def test_the_applicants_page_reads_a_form_of_any_size_in_the_same_queries(client, applicant, org, programme):
    """A form of 12 questions and one of 120 questions over 10 sections with 20 conditions: the
    same number of queries (the form is two of them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import call_full, form_large

    client.force_login(applicant)
    counts = []
    for code, (sections, per_section, conditions) in (("small", (2, 6, 2)), ("large", (10, 12, 20))):
        call = call_full(programme, code=code)
        questions = form_large(call, sections=sections, per_section=per_section, conditions=conditions)
        assert len(questions) == sections * per_section
        assert sum(1 for q in questions if q.condition) == conditions
        app, _created = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
        client.get(reverse("applications:application_edit", args=[app.pk]))  # sessions, caches warm
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("applications:application_edit", args=[app.pk]))
        assert response.status_code == 200 and f"Question {sections}.{per_section}" in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_call_api_publishes_the_forms_and_the_json_schema_of_typed_answers(
    call, manager, section, applicant, draft
):
    """The call's API endpoint gives its forms and the JSON schema of an application's answers;
    an API client saves typed answers (a list for multiple choice, rows for a table) and gets
    each wrong one refused by name."""
    import jsonschema
    from rest_framework.test import APIClient

    partners, table, topics, staff = _typed_form(call, manager, section)
    api = APIClient()
    api.force_authenticate(applicant)
    data = api.get(f"/api/v1/calls/{call.pk}/").json()
    schema = data["answers_schema"]
    assert schema["properties"][str(topics.pk)]["items"]["enum"] == ["courts", "media", "budget"]
    assert schema["properties"][str(table.pk)]["x-condition"] == {"question": partners.pk, "op": "yes"}
    assert [q["kind"] for q in data["forms"]["application"][0]["questions"]] == [
        "yes_no",
        "table",
        "multi_choice",
        "number",
    ]
    assert data["checklist"][0]["key"] == "on_time"
    answers = {str(partners.pk): "yes", str(topics.pk): ["media"], str(table.pk): [{"c1": "A", "c2": "10"}]}
    response = api.patch(
        f"/api/v1/applications/{draft.pk}/", {"version": draft.version, "answers": answers}, format="json"
    )
    assert response.status_code == 200, response.content
    stored = response.json()["answers"]
    jsonschema.validate(stored, schema)  # what the API stores is what its schema says
    response = api.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"version": response.json()["version"], "answers": {str(topics.pk): ["media", "unknown"]}},
        format="json",
    )
    assert response.status_code == 400 and f"q{topics.pk}" in response.json()


def test_a_condition_on_its_own_question_is_refused(call, manager, section):
    question = builder.question_save(
        actor=manager,
        call_id=call.pk,
        purpose="application",
        section_id=section.pk,
        values={"text_en": "Staff?", "kind": "yes_no"},
        options={},
    )
    with pytest.raises(Exception, match="cannot depend on its own answer"):
        builder.question_save(
            actor=manager,
            call_id=call.pk,
            purpose="application",
            question_id=question.pk,
            section_id=section.pk,
            values={"text_en": "Staff?", "kind": "yes_no"},
            options={},
            condition={"question": question.pk, "op": "yes"},
        )
