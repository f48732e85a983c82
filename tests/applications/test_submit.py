"""Submission: what is missing is listed; a complete draft is frozen with a reference and a receipt;
the database clock decides the deadline; two members submitting at once make one submission."""

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import Membership
from applications import services
from applications.models import Application, ApplicationState
from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.calls.models import Call, CallState
from tests.applications.conftest import fill_complete
from workers.models import Notification


def db_now():
    return Call.objects.annotate(n=Now()).values_list("n", flat=True)[:1].get()


def test_submission_lists_exactly_what_is_missing(applicant, draft):
    services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=1,
        fields={
            "title": "Title",
            "requested_amount": "5000",
            "duration_months": "30",
            "cofinancing_amount": "0",
            "budget": [
                {
                    "heading": draft.call.budget_headings.get(kind="indirect").pk,
                    "description": "Rent",
                    "units": "1",
                    "unit_cost": "5000",
                }
            ],
        },
    )
    with pytest.raises(ValidationError) as exc:
        services.application_submit(actor=applicant, application_id=draft.pk)
    problems = exc.value.messages
    expected = [
        "Write a summary of the project.",
        "The amount requested must be between 10000.00 and 60000.00 EUR.",
        "The project may last at most 12 months.",
        "Answer the question “What problem does the action address?”.",
        "Answer the question “How will you measure success?”.",
        "The budget has no direct costs.",
        "Co-financing must be at least 5.00% of the total budget (250.00 EUR).",
        "Attach the document “Statute of the organisation”.",
    ]
    assert problems == expected
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT and draft.reference is None


def test_budget_rules_indirect_cap_and_totals(applicant, complete_draft):
    headings = list(complete_draft.call.budget_headings.order_by("position"))
    services.application_autosave(
        actor=applicant,
        application_id=complete_draft.pk,
        version=complete_draft.version,
        fields={
            "budget": [
                {"heading": headings[0].pk, "description": "Staff", "units": "1", "unit_cost": "40000"},
                {"heading": headings[3].pk, "description": "Indirect", "units": "1", "unit_cost": "2801"},
            ]
        },
    )
    problems = services.application_submission_problems(Application.objects.get(pk=complete_draft.pk))
    assert problems == [
        "Indirect costs (2801.00) are above 7.00% of direct costs (at most 2800.00).",
        "The budget total (42801.00) must equal the amount requested plus co-financing (42500.00).",
    ]


def test_answer_over_the_character_limit_is_listed(applicant, complete_draft):
    q = complete_draft.call.questions.get(position=2)
    services.application_autosave(
        actor=applicant,
        application_id=complete_draft.pk,
        version=complete_draft.version,
        fields={services.question_field(q.pk): "й" * (q.max_chars + 1)},
    )
    problems = services.application_submission_problems(Application.objects.get(pk=complete_draft.pk))
    assert problems == [f"The answer to “{q.text}” has {q.max_chars + 1} characters; the limit is {q.max_chars}."]


def test_complete_draft_is_frozen_with_reference_receipt_and_email(applicant, colleague, complete_draft, make_user):
    colleague.language = "uk"
    colleague.save()
    app = services.application_submit(actor=applicant, application_id=complete_draft.pk)
    app.refresh_from_db()
    assert app.state == ApplicationState.SUBMITTED
    assert re.fullmatch(r"ADV-2026-0001", app.reference)
    assert app.submitted_at is not None and app.submitted_content["reference"] == app.reference
    # The receipt's hash is the SHA-256 of the canonical JSON of the stored content, after a round trip.
    assert app.receipt_sha256 == hashlib.sha256(services.canonical_json(app.submitted_content)).hexdigest()
    content = app.submitted_content
    assert content["title"] == "Open contracting in five regions" and len(content["answers"]) == 2
    assert content["budget_totals"]["total"] == "42500.00" and content["attachments"][0]["sha256"]
    event = AuditEvent.objects.get(action="submit", object_id=str(app.pk))
    assert event.data["sha256"] == app.receipt_sha256 and event.data["reference"] == app.reference
    mails = {n.email: n for n in Notification.objects.filter(kind="application_submitted", object_id=str(app.pk))}
    assert set(mails) == {applicant.email, colleague.email}
    assert mails[colleague.email].language == "uk" and mails[applicant.email].context["sha256"] == app.receipt_sha256
    from workers.outbox import notification_render

    subject, body = notification_render(mails[applicant.email])
    assert app.reference in subject and app.receipt_sha256 in body


def test_submitted_content_no_longer_changes_with_the_draft_tables(applicant, submitted):
    before = submitted.receipt_sha256
    submitted.budget_lines.all().update(description="edited behind the scenes")
    submitted.refresh_from_db()
    assert submitted.submitted_content["budget"][0]["description"] == "Staff"
    assert hashlib.sha256(services.canonical_json(submitted.submitted_content)).hexdigest() == before


def test_references_follow_a_per_call_sequence(applicant, other_applicant, org, other_org, call):
    first, _ = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    second, _ = services.application_start(actor=other_applicant, call_id=call.pk, organisation_id=other_org.pk)
    fill_complete(applicant, first)
    fill_complete(other_applicant, second)
    a = services.application_submit(actor=other_applicant, application_id=second.pk)
    b = services.application_submit(actor=applicant, application_id=first.pk)
    assert (a.reference, b.reference) == ("ADV-2026-0001", "ADV-2026-0002")


def test_only_members_submit(manager, other_applicant, complete_draft):
    for outsider in (manager, other_applicant):
        with pytest.raises(PermissionDenied):
            services.application_submit(actor=outsider, application_id=complete_draft.pk)


def test_one_second_after_the_deadline_by_the_database_clock_is_refused(applicant, complete_draft):
    Call.objects.filter(pk=complete_draft.call_id).update(deadline=db_now() - timedelta(seconds=1))
    with pytest.raises(TransitionRefused) as exc:
        services.application_submit(actor=applicant, application_id=complete_draft.pk)
    assert "deadline" in str(exc.value.message)
    complete_draft.refresh_from_db()
    assert (
        complete_draft.state == ApplicationState.DRAFT
        and Call.objects.get(pk=complete_draft.call_id).state == CallState.OPEN
    )


def test_just_before_the_deadline_by_the_database_clock_is_accepted(applicant, complete_draft):
    deadline = db_now() + timedelta(seconds=3)
    Call.objects.filter(pk=complete_draft.call_id).update(deadline=deadline)
    app = services.application_submit(actor=applicant, application_id=complete_draft.pk)
    assert app.state == ApplicationState.SUBMITTED and app.submitted_at < deadline


def test_the_application_servers_clock_is_not_trusted(applicant, complete_draft, monkeypatch):
    """The web server's clock says there is an hour left; the database says the deadline passed."""
    deadline = db_now() - timedelta(seconds=1)
    Call.objects.filter(pk=complete_draft.call_id).update(deadline=deadline)
    monkeypatch.setattr(timezone, "now", lambda: deadline - timedelta(hours=1))
    with pytest.raises(TransitionRefused):
        services.application_submit(actor=applicant, application_id=complete_draft.pk)


def test_an_individual_extension_lets_one_applicant_submit_after_the_call_closed(manager, applicant, complete_draft):
    from grants.calls.services import calls_open_close

    Call.objects.filter(pk=complete_draft.call_id).update(deadline=timezone.now() + timedelta(minutes=1))
    original = Call.objects.get(pk=complete_draft.call_id).deadline
    services.application_deadline_extend(
        actor=manager,
        application_id=complete_draft.pk,
        until=timezone.now() + timedelta(hours=2),
        reason="Power cut in Kharkiv on the last day",
    )
    Call.objects.filter(pk=complete_draft.call_id).update(deadline=db_now() - timedelta(seconds=1))
    calls_open_close()
    assert Call.objects.get(pk=complete_draft.call_id).state == CallState.CLOSED
    app = services.application_submit(actor=applicant, application_id=complete_draft.pk)
    assert app.state == ApplicationState.SUBMITTED
    event = AuditEvent.objects.get(action="deadline_extend")
    assert event.reason == "Power cut in Kharkiv on the last day" and event.actor_id == manager.pk
    assert event.data["from"] == original.isoformat()


def test_extension_rules(manager, applicant, draft):
    with pytest.raises(ValidationError):
        services.application_deadline_extend(
            actor=manager,
            application_id=draft.pk,
            until=timezone.now() + timedelta(days=1),
            reason="before the call's deadline",
        )
    with pytest.raises(ValidationError):
        services.application_deadline_extend(
            actor=manager, application_id=draft.pk, until=timezone.now() + timedelta(days=90), reason="  "
        )
    with pytest.raises(PermissionDenied):
        services.application_deadline_extend(
            actor=applicant,
            application_id=draft.pk,
            until=timezone.now() + timedelta(days=90),
            reason="I want more time",
        )


def test_extension_only_for_drafts(manager, submitted):
    with pytest.raises(TransitionRefused):
        services.application_deadline_extend(
            actor=manager, application_id=submitted.pk, until=timezone.now() + timedelta(days=90), reason="too late"
        )


def test_two_members_submitting_the_same_draft_at_once_make_one_submission(postgres, make_user, make_org, programme):
    from tests.factories import call_full

    call = call_full(programme, code="race-2026")
    rounds = 8
    for n in range(rounds):
        first = make_user(email=f"first{n}@example.org")
        second = make_user(email=f"second{n}@example.org")
        org = make_org(first, legal_name=f"Race {n}")
        Membership.objects.create(organisation=org, user=second)
        app, _ = services.application_start(actor=first, call_id=call.pk, organisation_id=org.pk)
        fill_complete(first, app)
        barrier = threading.Barrier(2)
        outcomes = []

        def attempt(user):
            try:
                barrier.wait()
                services.application_submit(actor=user, application_id=app.pk)
                outcomes.append("won")
            except TransitionRefused:
                outcomes.append("refused")
            except Exception as exc:  # anything else is a failure of the test
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=(u,)) for u in (first, second)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(outcomes) == ["refused", "won"]
        assert AuditEvent.objects.filter(action="submit", object_id=str(app.pk)).count() == 1
        assert Notification.objects.filter(kind="application_submitted", object_id=str(app.pk)).count() == 2
    references = list(Application.objects.filter(call=call).values_list("reference", flat=True))
    assert sorted(references) == [f"RACE-2026-{i:04d}" for i in range(1, rounds + 1)]
