"""A programme's team in the product: managers invite people by e-mail into a role, change and end
roles, each audited; the wrong users are refused."""

import pytest
from django.urls import reverse

from accounts.models import ProgrammeRole
from audit.models import AuditEvent
from workers.models import Notification

Role = ProgrammeRole.Role


@pytest.fixture
def manager(make_user, programme, grant_role):
    return grant_role(make_user(email="manager@example.org"), programme, Role.MANAGER)


def team_url(programme):
    return reverse("calls:programme_team", args=[programme.pk])


def test_a_manager_invites_a_new_person_as_finance_officer(client, manager, programme):
    client.force_login(manager)
    response = client.post(
        team_url(programme), {"email": "Olena@Example.org", "full_name": "Olena Bondar", "role": Role.FINANCE}
    )
    assert response.status_code == 302
    held = ProgrammeRole.objects.get(programme=programme, user__email="olena@example.org")
    assert held.role == Role.FINANCE and held.user.full_name == "Olena Bondar"
    assert not held.user.has_usable_password()
    mail = Notification.objects.get(kind="programme_role_granted", email="olena@example.org")
    assert mail.context["set_password_path"] and mail.context["role"] == "Finance officer"
    event = AuditEvent.objects.filter(action="team_invite").latest("seq")
    assert event.data["role"] == Role.FINANCE and event.data["account_created"] is True
    page = client.get(team_url(programme)).content.decode()
    assert "Olena Bondar" in page and "olena@example.org" in page

    # the same invitation again is refused on the form, nothing lost, no second role
    again = client.post(team_url(programme), {"email": "olena@example.org", "role": Role.FINANCE})
    assert again.status_code == 200 and "already holds this role" in again.content.decode()
    assert ProgrammeRole.objects.filter(user=held.user).count() == 1


def test_a_role_is_changed_then_ended_and_the_access_goes_with_it(client, manager, programme, make_user, grant_role):
    officer = grant_role(make_user(email="officer@example.org"), programme, Role.FINANCE)
    held = ProgrammeRole.objects.get(user=officer)
    client.force_login(manager)
    client.post(reverse("calls:programme_team_change", args=[programme.pk, held.pk]), {"role": Role.DONOR})
    held.refresh_from_db()
    assert held.role == Role.DONOR
    assert AuditEvent.objects.filter(action="team_role_change").latest("seq").data == {
        "user": officer.pk,
        "from": Role.FINANCE,
        "to": Role.DONOR,
    }
    dashboard = reverse("donor:donor_dashboard", args=[programme.pk])
    client.force_login(officer)
    assert client.get(dashboard).status_code == 200  # the new role gives the donor's dashboard
    client.force_login(manager)
    response = client.post(reverse("calls:programme_team_end", args=[programme.pk, held.pk]), follow=True)
    assert "Role ended" in response.content.decode()
    assert not ProgrammeRole.objects.filter(user=officer).exists()
    assert AuditEvent.objects.filter(action="team_role_end").exists()
    client.force_login(officer)
    assert client.get(dashboard).status_code == 404


def test_the_last_manager_is_never_removed(client, manager, programme):
    held = ProgrammeRole.objects.get(user=manager)
    client.force_login(manager)
    response = client.post(reverse("calls:programme_team_end", args=[programme.pk, held.pk]), follow=True)
    assert response.status_code == 200 and "Ask another programme manager" in response.content.decode()
    response = client.post(
        reverse("calls:programme_team_change", args=[programme.pk, held.pk]), {"role": Role.DONOR}, follow=True
    )
    assert "at least one programme manager" in response.content.decode()
    assert ProgrammeRole.objects.get(user=manager).role == Role.MANAGER


def test_bad_input_gets_a_message_not_an_error(client, manager, programme):
    client.force_login(manager)
    response = client.post(team_url(programme), {"email": "not an address", "role": "superuser"})
    assert response.status_code == 200
    assert ProgrammeRole.objects.filter(programme=programme).count() == 1
    held = ProgrammeRole.objects.get(user=manager)
    response = client.post(reverse("calls:programme_team_change", args=[programme.pk, held.pk]), {"role": "x"})
    assert response.status_code == 302
    response = client.post(reverse("calls:programme_team_end", args=[programme.pk, 999999]))
    assert response.status_code == 302


def test_the_wrong_users_are_refused(client, manager, programme, make_user, grant_role):
    officer = grant_role(make_user(email="fin@example.org"), programme, Role.FINANCE)
    outsider = make_user(email="outsider@example.org")
    held = ProgrammeRole.objects.get(user=manager)
    urls = [
        ("get", team_url(programme), {}),
        ("post", team_url(programme), {"email": "x@example.org", "role": Role.MANAGER}),
        ("post", reverse("calls:programme_team_end", args=[programme.pk, held.pk]), {}),
        ("post", reverse("calls:programme_team_change", args=[programme.pk, held.pk]), {"role": Role.DONOR}),
    ]
    for user, status in ((officer, 403), (outsider, 404)):
        client.force_login(user)
        for method, url, data in urls:
            assert getattr(client, method)(url, data).status_code == status, (user.email, url)
    client.logout()
    assert client.get(team_url(programme)).status_code == 302
    assert ProgrammeRole.objects.filter(programme=programme).count() == 2
    assert ProgrammeRole.objects.get(user=manager).role == Role.MANAGER
