"""A manager acts on several applications selected in a call's list: screens them as eligible with
one checklist, assigns one reviewer, exports them; each is handled on its own, and the wrong users
are refused."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import ProgrammeRole
from applications.models import ApplicationState
from applications.review.models import Review
from applications.services import CHECKLIST
from audit.models import AuditEvent
from tests.factories import application_in_state

TICKED = {f"check_{key}": "on" for key, _label in CHECKLIST}


@pytest.fixture
def apps(call, make_org, make_user):
    made = []
    for i, state in enumerate([ApplicationState.SUBMITTED, ApplicationState.SUBMITTED, ApplicationState.ELIGIBLE]):
        owner = make_user(email=f"cso{i}@example.org")
        made.append(application_in_state(call, make_org(owner), owner, state=state, title=f"Project {i}"))
    return made


def post(client, url, data):
    response = client.post(url, data)
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_screening_several_as_eligible_names_the_one_that_could_not_be(client, manager, call, apps):
    client.force_login(manager)
    url = reverse("applications:call_applications_bulk", args=[call.pk])
    response, said = post(
        client, url, {"action": "eligible", "ids": [a.pk for a in apps], "query": "sort=-requested", **TICKED}
    )
    assert response.status_code == 302 and response["Location"].endswith("?sort=-requested")
    for app in apps:
        app.refresh_from_db()
    assert [a.state for a in apps] == [ApplicationState.ELIGIBLE] * 3
    assert said[0] == "2 applications marked eligible."
    assert len(said) == 2 and said[1].startswith(apps[2].reference)  # already eligible: refused, named
    assert AuditEvent.objects.filter(action="mark_eligible").count() >= 2


def test_an_incomplete_checklist_screens_none(client, manager, call, apps):
    client.force_login(manager)
    url = reverse("applications:call_applications_bulk", args=[call.pk])
    _response, said = post(client, url, {"action": "eligible", "ids": [apps[0].pk, apps[1].pk]})
    assert all("Not yet checked" in line for line in said) and len(said) == 2
    apps[0].refresh_from_db()
    assert apps[0].state == ApplicationState.SUBMITTED


def test_export_of_the_selected_holds_only_them(client, manager, call, apps):
    client.force_login(manager)
    url = reverse("applications:call_applications_bulk", args=[call.pk])
    response = client.post(url, {"action": "csv", "ids": [apps[0].pk, apps[2].pk]})
    body = b"".join(response.streaming_content).decode()
    assert "Project 0" in body and "Project 2" in body and "Project 1" not in body


def test_one_reviewer_assigned_to_the_selected(client, manager, call, apps, make_user, grant_role):
    reviewer = grant_role(make_user(email="rita@example.org"), call.programme, ProgrammeRole.Role.REVIEWER)
    type(call).objects.filter(pk=call.pk).update(state="reviewing")
    client.force_login(manager)
    url = reverse("reviews:review_call_assign_selected", args=[call.pk])
    _response, said = post(client, url, {"reviewer": "RITA@example.org", "ids": [apps[0].pk, apps[2].pk]})
    # only the eligible one can be assigned; the submitted one is named with the reason
    assert Review.objects.filter(reviewer=reviewer, application=apps[2]).exists()
    assert not Review.objects.filter(reviewer=reviewer, application=apps[0]).exists()
    assert said[0] == "rita assigned to 1 application."  # the reviewer's name
    assert said[1].startswith(apps[0].reference)
    _response, said = post(client, url, {"reviewer": "nobody@example.org", "ids": [apps[2].pk]})
    assert "No reviewer of the programme's pool matches" in said[-1]


def test_nothing_selected_or_too_many_is_said(client, manager, call, apps):
    client.force_login(manager)
    url = reverse("applications:call_applications_bulk", args=[call.pk])
    _response, said = post(client, url, {"action": "eligible", **TICKED})
    assert said == ["Select at least one application."]
    _response, said = post(client, url, {"action": "eligible", "ids": list(range(1, 302)), **TICKED})
    assert said[-1] == "Select at most 200 applications at a time."


def test_the_wrong_users_are_refused_and_other_calls_are_untouched(
    client, call, apps, programme, make_user, grant_role
):
    from tests.factories import call_full

    applicant = apps[0].created_by
    other_manager = make_user(email="elsewhere@example.org")
    other_call = call_full(programme, code="other")
    for user in (applicant, other_manager):
        client.force_login(user)
        for url in (
            reverse("applications:call_applications_bulk", args=[call.pk]),
            reverse("reviews:review_call_assign_selected", args=[call.pk]),
        ):
            response = client.post(url, {"action": "eligible", "ids": [apps[0].pk], "reviewer": "x", **TICKED})
            assert response.status_code == 404, (user.email, url)
    apps[0].refresh_from_db()
    assert apps[0].state == ApplicationState.SUBMITTED
    # ids of another call's applications are ignored, not acted on
    manager = grant_role(make_user(email="m2@example.org"), programme, ProgrammeRole.Role.MANAGER)
    client.force_login(manager)
    url = reverse("applications:call_applications_bulk", args=[other_call.pk])
    _response, said = post(client, url, {"action": "eligible", "ids": [apps[0].pk], **TICKED})
    apps[0].refresh_from_db()
    assert apps[0].state == ApplicationState.SUBMITTED and said == []


def test_the_list_offers_the_selection(client, manager, call, apps):
    client.force_login(manager)
    page = client.get(reverse("applications:call_applications", args=[call.pk])).content.decode()
    assert page.count('name="ids"') == 3 and 'form="bulk"' in page and "Mark the selected eligible" in page
