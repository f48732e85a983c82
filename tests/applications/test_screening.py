"""Screening and the other transitions: each allowed for the right role, refused for the others
(403-style PermissionDenied by role, TransitionRefused by state), each audited and notified."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import ProgrammeRole
from applications import services
from applications.models import ApplicationState
from applications.review.models import Review, ReviewState
from audit.models import AuditEvent
from core.errors import TransitionRefused
from tests.factories import application_in_state
from workers.models import Notification

ALL_TICKED = {key: True for key, _label in services.CHECKLIST}
DUE = timezone.now() + timedelta(days=7)


def _eligible(actor, app):
    return services.application_mark_eligible(actor=actor, application_id=app.pk, checklist=ALL_TICKED)


def _ineligible(actor, app):
    return services.application_mark_ineligible(
        actor=actor, application_id=app.pk, reason="Registered after the cut-off date."
    )


def _clarify(actor, app):
    return services.application_request_clarification(
        actor=actor, application_id=app.pk, question="Send the signed statute.", due=timezone.now() + timedelta(days=7)
    )


SCREENING = {"mark_eligible": _eligible, "mark_ineligible": _ineligible, "request_clarification": _clarify}


@pytest.fixture
def outsiders(make_user, programme, grant_role, other_applicant, applicant):
    """Everyone who must not screen: the applicant, another applicant, a reviewer and a finance
    officer of the programme, and a manager of another programme."""
    from datetime import date
    from decimal import Decimal

    from djmoney.money import Money

    from grants.calls.models import Programme

    other = Programme.objects.create(
        code="other",
        title="Other",
        budget=Money(Decimal("1000"), "EUR"),
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 1, 1),
    )
    return {
        "applicant": applicant,
        "other applicant": other_applicant,
        "reviewer": grant_role(make_user(), programme, ProgrammeRole.Role.REVIEWER),
        "finance": grant_role(make_user(), programme, ProgrammeRole.Role.FINANCE),
        "other manager": grant_role(make_user(), other, ProgrammeRole.Role.MANAGER),
    }


@pytest.mark.parametrize(
    "transition,target",
    [
        ("mark_eligible", ApplicationState.ELIGIBLE),
        ("mark_ineligible", ApplicationState.INELIGIBLE),
        ("request_clarification", ApplicationState.CLARIFICATION_REQUESTED),
    ],
)
def test_screening_by_the_programme_manager(manager, outsiders, submitted, transition, target):
    for who, outsider in outsiders.items():
        with pytest.raises(PermissionDenied):
            SCREENING[transition](outsider, submitted)
    app = SCREENING[transition](manager, submitted)
    assert app.state == target
    event = AuditEvent.objects.get(action=transition, object_id=str(app.pk))
    assert (event.from_state, event.to_state, event.actor_id) == ("submitted", target, manager.pk)
    assert event.data["checklist"]
    kinds = {
        "mark_eligible": "application_eligible",
        "mark_ineligible": "application_ineligible",
        "request_clarification": "application_clarification_requested",
    }
    assert Notification.objects.filter(kind=kinds[transition], object_id=str(app.pk)).exists()
    # Once screened, screening again is refused by state.
    with pytest.raises(TransitionRefused):
        SCREENING[transition](manager, app)


@pytest.mark.parametrize("transition", list(SCREENING))
def test_screening_a_draft_is_refused_by_state(manager, draft, transition):
    with pytest.raises(TransitionRefused):
        SCREENING[transition](manager, draft)


def test_eligible_needs_every_checklist_item(manager, submitted):
    with pytest.raises(ValidationError) as exc:
        services.application_mark_eligible(
            actor=manager, application_id=submitted.pk, checklist={**ALL_TICKED, "documents": False}
        )
    assert "Not yet checked" in " ".join(exc.value.messages)
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_ineligible_needs_a_reason_which_the_applicant_reads(client, manager, applicant, submitted):
    with pytest.raises(ValidationError):
        services.application_mark_ineligible(actor=manager, application_id=submitted.pk, reason="   ")
    services.application_mark_ineligible(
        actor=manager, application_id=submitted.pk, reason="The organisation is a company."
    )
    client.force_login(applicant)
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    assert "The organisation is a company." in page and "not eligible" in page
    note = Notification.objects.get(kind="application_ineligible", email=applicant.email)
    assert note.context["reason"] == "The organisation is a company."


def test_clarification_round_trip(manager, applicant, colleague, other_applicant, submitted):
    services.application_request_clarification(
        actor=manager, application_id=submitted.pk, question="Which regions exactly?", due=DUE
    )
    with pytest.raises(ValidationError):
        services.application_answer_clarification(actor=applicant, application_id=submitted.pk, answer=" ")
    with pytest.raises(PermissionDenied):
        services.application_answer_clarification(actor=other_applicant, application_id=submitted.pk, answer="x")
    with pytest.raises(PermissionDenied):
        services.application_answer_clarification(actor=manager, application_id=submitted.pk, answer="x")
    app = services.application_answer_clarification(
        actor=colleague, application_id=submitted.pk, answer="Kharkiv, Sumy and Chernihiv."
    )
    assert app.state == ApplicationState.SUBMITTED and app.clarification_answer == "Kharkiv, Sumy and Chernihiv."
    assert Notification.objects.filter(kind="application_clarification_answered", email=manager.email).exists()
    assert AuditEvent.objects.get(action="answer_clarification").data == {"late": False}
    # Back in screening: the manager can now decide.
    assert _eligible(manager, app).state == ApplicationState.ELIGIBLE


def test_clarification_needs_a_question_and_a_future_due_date(manager, submitted):
    with pytest.raises(ValidationError) as exc:
        services.application_request_clarification(
            actor=manager, application_id=submitted.pk, question="", due=timezone.now() - timedelta(minutes=1)
        )
    assert set(exc.value.message_dict) == {"question", "due"}


def test_answer_is_refused_when_nothing_was_asked(applicant, submitted):
    with pytest.raises(TransitionRefused):
        services.application_answer_clarification(actor=applicant, application_id=submitted.pk, answer="Unasked")


@pytest.mark.parametrize(
    "state",
    [
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.ELIGIBLE,
        ApplicationState.CLARIFICATION_REQUESTED,
        ApplicationState.UNDER_REVIEW,
        ApplicationState.REVIEWED,
    ],
)
def test_members_withdraw_before_a_decision(applicant, manager, org, call, state):
    app = application_in_state(call, org, applicant, state)
    with pytest.raises(PermissionDenied):
        services.application_withdraw(actor=manager, application_id=app.pk)
    app = services.application_withdraw(actor=applicant, application_id=app.pk, reason="We merged with another CSO")
    assert app.state == ApplicationState.WITHDRAWN
    assert AuditEvent.objects.get(action="withdraw").reason == "We merged with another CSO"
    assert Notification.objects.filter(kind="application_withdrawn", object_id=str(app.pk)).exists()


@pytest.mark.parametrize(
    "state",
    [ApplicationState.RESERVE, ApplicationState.REJECTED, ApplicationState.INELIGIBLE, ApplicationState.WITHDRAWN],
)
def test_no_withdrawal_after_a_decision(applicant, org, call, state):
    app = application_in_state(call, org, applicant, state)
    with pytest.raises(TransitionRefused):
        services.application_withdraw(actor=applicant, application_id=app.pk)


def test_available_transitions_depend_on_role_and_state(
    manager, applicant, make_user, programme, grant_role, submitted
):
    assert services.application_available_transitions(applicant, submitted) == ["withdraw"]
    assert services.application_available_transitions(manager, submitted) == [
        "mark_eligible",
        "mark_ineligible",
        "request_clarification",
    ]
    reviewer = grant_role(make_user(), programme, ProgrammeRole.Role.REVIEWER)
    Review.objects.create(application=submitted, reviewer=reviewer, due_at=timezone.now())
    assert services.application_available_transitions(reviewer, submitted) == []
    assert Review.objects.get().state == ReviewState.ASSIGNED


def test_available_transitions_of_a_draft(manager, applicant, draft):
    assert services.application_available_transitions(applicant, draft) == ["submit", "withdraw"]
    assert services.application_available_transitions(manager, draft) == ["extend_deadline"]
