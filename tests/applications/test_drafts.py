"""Starting an application and saving drafts: several members, optimistic concurrency, nothing lost."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationState
from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.calls.models import CallState
from tests.factories import call_full


def test_member_starts_one_application_per_organisation_and_call(applicant, org, call):
    app, created = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    again, created_again = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    assert created and not created_again and again.pk == app.pk
    assert app.state == ApplicationState.DRAFT and app.created_by == applicant
    assert AuditEvent.objects.filter(action="application_start", object_id=str(app.pk)).count() == 1


def test_only_members_start_an_application(other_applicant, org, call):
    with pytest.raises(PermissionDenied):
        services.application_start(actor=other_applicant, call_id=call.pk, organisation_id=org.pk)


def test_ineligible_organisation_is_told_why(applicant, make_org, programme):
    call = call_full(programme, code="ua-only", eligible_countries=["UA"], eligible_org_types=["media"])
    org = make_org(applicant, country="AM")
    with pytest.raises(ValidationError) as exc:
        services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    text = " ".join(exc.value.messages)
    assert "Armenia" in text and "not eligible" in text


@pytest.mark.parametrize("state", [CallState.DRAFT, CallState.PUBLISHED, CallState.CLOSED])
def test_no_application_outside_an_open_call(applicant, org, programme, state):
    call = call_full(programme, code=f"c-{state}", state=state)
    with pytest.raises(TransitionRefused):
        services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)


def test_open_state_after_the_deadline_refuses_new_applications(applicant, org, programme):
    now = timezone.now()
    call = call_full(programme, code="late", opens_at=now - timedelta(days=5), deadline=now - timedelta(seconds=1))
    assert call.state == CallState.OPEN  # the schedule has not closed it yet: the clock decides
    with pytest.raises(TransitionRefused):
        services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)


def test_autosave_applies_fields_and_counts_versions(applicant, draft):
    q = draft.call.questions.first()
    result = services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=draft.version,
        fields={"title": "Tenders without corruption", services.question_field(q.pk): "Line 1\r\nLine 2"},
    )
    draft.refresh_from_db()
    assert result.version == draft.version == 2 and not result.conflicts
    assert draft.title == "Tenders without corruption"
    assert draft.answers[str(q.pk)] == "Line 1\nLine 2"  # one character per line break, as the browser counts


def test_two_members_edit_different_fields_and_both_are_kept(applicant, colleague, draft):
    base = services.application_hashes(services.application_values(draft, list(draft.call.questions.all()), []))
    # Both start from version 1; Olena saves the title, then Taras (still on version 1) the summary.
    services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=1,
        fields={"title": "Olena's title"},
        base={"title": base["title"]},
    )
    result = services.application_autosave(
        actor=colleague,
        application_id=draft.pk,
        version=1,
        fields={"summary": "Taras's summary"},
        base={"summary": base["summary"]},
    )
    draft.refresh_from_db()
    assert (draft.title, draft.summary) == ("Olena's title", "Taras's summary")
    assert result.applied == ["summary"] and not result.conflicts and draft.version == 3


def test_a_stale_save_of_the_same_field_never_overwrites_silently(applicant, colleague, draft):
    base = services.application_hashes(services.application_values(draft, list(draft.call.questions.all()), []))
    services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=1,
        fields={"summary": "Olena wrote this"},
        base={"summary": base["summary"]},
    )
    result = services.application_autosave(
        actor=colleague,
        application_id=draft.pk,
        version=1,
        fields={"summary": "Taras wrote that", "title": "Taras's title"},
        base={"summary": base["summary"], "title": base["title"]},
    )
    draft.refresh_from_db()
    assert draft.summary == "Olena wrote this"  # not overwritten
    assert result.conflicts == {"summary": "Olena wrote this"}  # Taras gets Olena's text back to compare
    assert draft.title == "Taras's title"  # the field nobody else touched is saved
    # Taras decides to keep his text: he saves again from the hash of what is stored now.
    result = services.application_autosave(
        actor=colleague,
        application_id=draft.pk,
        version=result.version,
        fields={"summary": "Taras wrote that"},
        base={"summary": result.hashes["summary"]},
    )
    draft.refresh_from_db()
    assert draft.summary == "Taras wrote that" and not result.conflicts


def test_without_field_hashes_a_stale_version_is_a_conflict(applicant, colleague, draft):
    services.application_autosave(actor=applicant, application_id=draft.pk, version=1, fields={"title": "A"})
    result = services.application_autosave(actor=colleague, application_id=draft.pk, version=1, fields={"title": "B"})
    draft.refresh_from_db()
    assert draft.title == "A" and result.conflicts == {"title": "A"}


def test_invalid_values_are_reported_and_do_not_block_the_rest(applicant, draft):
    result = services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=1,
        fields={
            "requested_amount": "forty thousand",
            "summary": "Kept",
            "budget": [{"heading": "999999", "description": "x", "units": "1", "unit_cost": "1"}],
        },
    )
    draft.refresh_from_db()
    assert set(result.errors) == {"requested_amount", "budget"} and draft.summary == "Kept"
    assert draft.requested_amount is None


def test_budget_lines_are_replaced_and_totals_computed(applicant, draft):
    heading = draft.call.budget_headings.first()
    services.application_autosave(
        actor=applicant,
        application_id=draft.pk,
        version=1,
        fields={
            "budget": [
                {"heading": heading.pk, "description": "Analyst", "units": "1,5", "unit_cost": "1000.01"},
                {"heading": "", "description": "", "units": "", "unit_cost": ""},
            ]
        },
    )
    lines = list(draft.budget_lines.all())
    assert len(lines) == 1 and str(lines[0].units) == "1.50" and str(lines[0].unit_cost) == "1000.01"
    assert str(lines[0].total) == "1500.02"  # the total is rounded to cents; what was typed never is


def test_only_members_save_and_only_drafts(manager, other_applicant, applicant, submitted):
    with pytest.raises(PermissionDenied):
        services.application_autosave(actor=manager, application_id=submitted.pk, version=1, fields={"title": "x"})
    with pytest.raises(PermissionDenied):
        services.application_autosave(
            actor=other_applicant, application_id=submitted.pk, version=1, fields={"title": "x"}
        )
    with pytest.raises(TransitionRefused):
        services.application_autosave(
            actor=applicant,
            application_id=submitted.pk,
            version=submitted.version,
            fields={"title": "changed after submission"},
        )
    assert Application.objects.get(pk=submitted.pk).title == "Open contracting in five regions"


def test_no_saving_after_the_deadline(applicant, draft):
    from grants.calls.models import Call

    Call.objects.filter(pk=draft.call_id).update(deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TransitionRefused):
        services.application_autosave(actor=applicant, application_id=draft.pk, version=1, fields={"title": "late"})


def test_concurrent_autosaves_of_two_members_lose_nothing(postgres, make_user, make_org, programme):
    """Two members save different fields of one draft at the same moment, 40 times each, as their
    browsers do (field hashes, versions that are often stale): every save of each is kept."""
    import threading

    from django.db import connections

    from accounts.models import Membership

    call = call_full(programme, code="two-members")
    first, second = make_user(email="a@example.org"), make_user(email="b@example.org")
    org = make_org(first)
    Membership.objects.create(organisation=org, user=second)
    app, _ = services.application_start(actor=first, call_id=call.pk, organisation_id=org.pk)
    rounds, errors = 40, []
    barrier = threading.Barrier(2)

    def member(user, field):
        state = {"version": 1, "hash": services.value_hash("")}
        try:
            for k in range(rounds):
                barrier.wait(timeout=30)
                result = services.application_autosave(
                    actor=user,
                    application_id=app.pk,
                    version=state["version"],
                    fields={field: f"{field} {k}"},
                    base={field: state["hash"]},
                )
                if result.conflicts or field not in result.applied:
                    errors.append((field, k, result.conflicts))
                state.update(version=result.version, hash=result.hashes[field])
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=member, args=args) for args in ((first, "title"), (second, "summary"))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    app.refresh_from_db()
    assert errors == []
    assert (app.title, app.summary, app.version) == (f"title {rounds - 1}", f"summary {rounds - 1}", 1 + 2 * rounds)
