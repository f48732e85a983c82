"""A call's dates after publication: closed early, extended for everyone, reopened after a mistake."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.services import call_dates
from applications.services.submission import application_submit
from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.calls.models import Call, CallState
from tests.factories import application_in_state, call_full
from workers.models import Notification


@pytest.fixture
def scene(make_user, make_org, grant_role, programme):
    programme.ends_on = timezone.localdate() + timedelta(days=365)
    programme.save()
    call = call_full(programme)
    manager = grant_role(make_user(), programme, "manager")
    drafter = make_user(language="uk")
    drafting_org = make_org(drafter)
    draft = application_in_state(call, drafting_org, drafter)
    bystander = make_user()
    make_org(bystander)  # an organisation with no draft for this call
    return {"call": call, "manager": manager, "drafter": drafter, "draft": draft, "bystander": bystander}


def test_a_call_closed_early_refuses_a_submission_a_second_later(scene):
    call = call_dates.call_close_early(
        actor=scene["manager"], call_id=scene["call"].pk, reason="The envelope is spent."
    )
    call.refresh_from_db()
    assert call.state == CallState.CLOSED and call.deadline <= timezone.now() and call.closed_at is not None
    assert call.closed_early_reason == "The envelope is spent."
    with pytest.raises(TransitionRefused):
        application_submit(actor=scene["drafter"], application_id=scene["draft"].pk)
    told = Notification.objects.filter(kind="call_closed_early")
    assert [n.email for n in told] == [scene["drafter"].email]
    assert told[0].context["reason"] == "The envelope is spent." and told[0].language == "uk"
    event = AuditEvent.objects.get(action="close", object_id=str(call.pk))
    assert event.reason == "The envelope is spent." and event.to_state == CallState.CLOSED


def test_closing_early_needs_a_reason_and_the_calls_manager(scene, make_user):
    with pytest.raises(ValidationError):
        call_dates.call_close_early(actor=scene["manager"], call_id=scene["call"].pk, reason="  ")
    with pytest.raises(PermissionDenied):
        call_dates.call_close_early(actor=make_user(), call_id=scene["call"].pk, reason="Because.")
    assert Call.objects.get(pk=scene["call"].pk).state == CallState.OPEN


def test_an_extension_moves_everyones_deadline_but_never_past_the_programme(scene):
    call = scene["call"]
    later = call.deadline + timedelta(days=10)
    call_dates.call_extend(actor=scene["manager"], call_id=call.pk, deadline=later, reason="Holidays.")
    call.refresh_from_db()
    assert call.deadline == later
    assert AuditEvent.objects.filter(action="call_extend", object_id=str(call.pk)).exists()
    assert Notification.objects.filter(kind="call_extended", email=scene["drafter"].email).count() == 1
    with pytest.raises(ValidationError) as exc:
        call_dates.call_extend(
            actor=scene["manager"], call_id=call.pk, deadline=later + timedelta(days=400), reason="More."
        )
    assert "programme ends" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        call_dates.call_extend(actor=scene["manager"], call_id=call.pk, deadline=later - timedelta(days=1), reason="x")
    call.refresh_from_db()
    assert call.deadline == later


def test_a_call_closed_by_mistake_reopens_within_the_grace_period_only(scene):
    call = scene["call"]
    call_dates.call_close_early(actor=scene["manager"], call_id=call.pk, reason="Closed by mistake.")
    deadline = timezone.now() + timedelta(days=5)
    call_dates.call_reopen(actor=scene["manager"], call_id=call.pk, deadline=deadline, reason="It was a mistake.")
    call.refresh_from_db()
    assert call.state == CallState.OPEN and call.deadline == deadline and not call.closed_early_reason
    with pytest.raises(ValidationError):  # taken again: only the draft's own gaps stop it, not the clock
        application_submit(actor=scene["drafter"], application_id=scene["draft"].pk)
    assert Notification.objects.filter(kind="call_reopened", email=scene["drafter"].email).count() == 1
    # Closed again, then the grace period passes: no reopening.
    call_dates.call_close_early(actor=scene["manager"], call_id=call.pk, reason="Envelope spent.")
    Call.objects.filter(pk=call.pk).update(closed_at=timezone.now() - call_dates.REOPEN_GRACE - timedelta(hours=1))
    with pytest.raises(TransitionRefused):
        call_dates.call_reopen(actor=scene["manager"], call_id=call.pk, deadline=deadline, reason="Again.")


def test_the_manager_uses_the_buttons_and_others_are_turned_away(client, scene):
    call = scene["call"]
    url = reverse("applications:call_dates_change", args=[call.pk, "close"])
    client.force_login(scene["bystander"])
    assert client.post(url, {"close-reason": "Mine now."}).status_code == 404
    client.force_login(scene["manager"])
    page = client.get(reverse("applications:call_manage", args=[call.pk])).content.decode()
    assert "Close the call now" in page and "Extend the deadline for everyone" in page
    response = client.post(url, {"close-reason": ""}, follow=True)
    assert (
        Call.objects.get(pk=call.pk).state == CallState.OPEN and "This field is required" in response.content.decode()
    )
    response = client.post(url, {"close-reason": "The envelope is spent."}, follow=True)
    assert "The call was closed." in response.content.decode()
    public = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert "Closed early" in public and "The envelope is spent." in public
    assert client.post(reverse("applications:call_dates_change", args=[call.pk, "nonsense"])).status_code == 404
