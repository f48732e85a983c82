"""The transition pattern: lock, permission, transition, audit event, effects after commit."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction

from accounts.models import ProgrammeRole
from audit.models import AuditEvent
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from grants.calls.models import Call, CallState
from grants.calls.services import call_cancel, call_publish


@pytest.fixture
def manager(make_user, programme, grant_role):
    return grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER)


def test_publish_writes_state_and_audit_event(manager, programme, make_call):
    call = make_call(programme)
    call_publish(actor=manager, call_id=call.pk)
    call.refresh_from_db()
    assert call.state == CallState.PUBLISHED
    event = AuditEvent.objects.get(action="publish")
    assert (event.object_type, event.object_id, event.from_state, event.to_state, event.actor_id) == (
        "grants.call",
        str(call.pk),
        "draft",
        "published",
        manager.pk,
    )


def test_state_field_cannot_be_assigned_directly(programme, make_call):
    call = make_call(programme)
    with pytest.raises(AttributeError):
        call.state = CallState.OPEN


def test_wrong_role_is_refused_and_nothing_is_recorded(make_user, programme, make_call, grant_role):
    finance = grant_role(make_user(), programme, ProgrammeRole.Role.FINANCE)
    call = make_call(programme)
    with pytest.raises(PermissionDenied):
        call_publish(actor=finance, call_id=call.pk)
    call.refresh_from_db()
    assert call.state == CallState.DRAFT and not AuditEvent.objects.filter(action="publish").exists()


def test_manager_of_another_programme_is_refused(make_user, programme, make_call, grant_role):
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
    outsider = grant_role(make_user(), other, ProgrammeRole.Role.MANAGER)
    with pytest.raises(PermissionDenied):
        call_publish(actor=outsider, call_id=make_call(programme).pk)


def test_state_refuses_a_transition_from_the_wrong_state(manager, programme, make_call):
    call = make_call(programme)
    call_publish(actor=manager, call_id=call.pk)
    with pytest.raises(TransitionRefused):
        call_publish(actor=manager, call_id=call.pk)


def test_publish_names_what_is_wrong(manager, programme, make_call):
    call = make_call(programme, envelope="3000000", criteria=())
    with pytest.raises(ValidationError) as exc:
        call_publish(actor=manager, call_id=call.pk)
    text = " ".join(exc.value.messages)
    assert "no criteria" in text and "exceeds what is left of the programme budget" in text
    call.refresh_from_db()
    assert call.state == CallState.DRAFT


def test_envelopes_never_exceed_the_programme_budget(manager, programme, make_call):
    first = make_call(programme, envelope="2000000")
    second = make_call(programme, envelope="600000")
    call_publish(actor=manager, call_id=first.pk)
    with pytest.raises(ValidationError) as exc:
        call_publish(actor=manager, call_id=second.pk)
    assert "500000" in " ".join(exc.value.messages)


def test_cancel_needs_a_reason(manager, programme, make_call):
    call = make_call(programme)
    with pytest.raises(ValidationError):
        call_cancel(actor=manager, call_id=call.pk, reason="  ")
    call_cancel(actor=manager, call_id=call.pk, reason="Funding withdrawn")
    assert AuditEvent.objects.get(action="cancel").reason == "Funding withdrawn"


@pytest.mark.django_db(transaction=True)
def test_side_effects_run_after_commit_and_never_on_rollback(make_user, programme, make_call, grant_role):
    manager = grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER)
    call = make_call(programme)
    ran = []

    class Boom(Exception):
        pass

    def publish(after_commit):
        with transaction.atomic():
            locked = lock(Call, call.pk)
            check(manager, locked, "publish")
            transition(locked, "publish", actor=manager)
            transaction.on_commit(after_commit)

    with pytest.raises(Boom), transaction.atomic():
        publish(lambda: ran.append("rolled back"))
        raise Boom
    assert ran == [] and Call.objects.get(pk=call.pk).state == CallState.DRAFT

    def effect():
        ran.append(Call.objects.get(pk=call.pk).state)  # sees committed state

    publish(effect)
    assert ran == [CallState.PUBLISHED]


def test_concurrent_transitions_one_wins(postgres, make_user, programme, make_call, grant_role):
    """Two managers publish the same call at the same moment on PostgreSQL: exactly one wins,
    the other is told the state no longer allows it, and one audit event is written."""
    manager_a = grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER)
    manager_b = grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER)
    rounds = 25
    for _ in range(rounds):
        call = make_call(programme, envelope="60000")
        barrier = threading.Barrier(2)
        outcomes = []

        def attempt(actor):
            try:
                barrier.wait()
                call_publish(actor=actor, call_id=call.pk)
                outcomes.append("won")
            except TransitionRefused:
                outcomes.append("refused")
            except Exception as exc:
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=(m,)) for m in (manager_a, manager_b)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(outcomes) == ["refused", "won"]
        assert AuditEvent.objects.filter(action="publish", object_id=str(call.pk)).count() == 1
    assert connection.vendor == "postgresql"
