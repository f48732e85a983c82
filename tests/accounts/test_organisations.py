"""Registering a CSO, inviting members, and nobody seeing another organisation's data."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation, ProgrammeRole
from accounts.tokens import token_create
from audit.models import AuditEvent


@pytest.fixture
def two_orgs(make_user, make_org):
    alice, bob = make_user("alice@a.org"), make_user("bob@b.org")
    return alice, make_org(alice, legal_name="Alpha"), bob, make_org(bob, legal_name="Beta")


def api_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, days=None)[1]}")
    return client


def test_register_makes_the_creator_owner_and_is_audited(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:organisation_create"),
        {
            "legal_name": "Центр протидії корупції",
            "country": "UA",
            "org_type": "ngo",
            "registration_id": "ua-edr-35960913",
        },
    )
    org = Organisation.objects.get()
    assert response.status_code == 302 and response.url == reverse("accounts:organisation_detail", args=[org.pk])
    assert org.registration_id == "UA-EDR-35960913"
    assert Membership.objects.get(organisation=org).role == "owner"
    assert AuditEvent.objects.filter(action="organisation_register", object_id=str(org.pk)).exists()


def test_bad_identifier_keeps_what_was_typed_and_says_why(client, make_user):
    client.force_login(make_user())
    response = client.post(
        reverse("accounts:organisation_create"),
        {
            "legal_name": "Transparency Georgia",
            "country": "GE",
            "org_type": "ngo",
            "registration_id": "UA-EDR-12345678",
        },
    )
    assert response.status_code == 200 and not Organisation.objects.exists()
    html = response.content.decode()
    assert "GE-NAPR-" in html and 'value="Transparency Georgia"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="id_registration_id_helptext id_registration_id_error"' in html
    assert 'id="id_registration_id_error"' in html


def test_duplicate_identifier_is_reported_on_the_field(client, make_user, make_org):
    make_org(make_user(), registration_id="UA-EDR-11111111")
    client.force_login(make_user())
    response = client.post(
        reverse("accounts:organisation_create"),
        {"legal_name": "Copy", "country": "UA", "org_type": "ngo", "registration_id": "UA-EDR-11111111"},
    )
    assert "already registered" in response.content.decode()
    assert Organisation.objects.count() == 1


def test_errors_come_in_the_users_language(client, make_user):
    client.force_login(make_user(language="uk"))
    response = client.post(
        reverse("accounts:organisation_create"),
        {"legal_name": "X", "country": "UA", "org_type": "ngo", "registration_id": "123"},
        HTTP_ACCEPT_LANGUAGE="uk",
    )
    assert 'lang="uk"' in response.content.decode()


def test_member_of_a_cannot_see_or_change_b_in_pages(client, two_orgs):
    alice, alpha, bob, beta = two_orgs
    client.force_login(alice)
    assert client.get(reverse("accounts:organisation_detail", args=[alpha.pk])).status_code == 200
    for url in (
        reverse("accounts:organisation_detail", args=[beta.pk]),
        reverse("accounts:organisation_edit", args=[beta.pk]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("accounts:organisation_detail", args=[beta.pk]), {"email": "x@evil.org"}).status_code == 404
    )
    assert (
        client.post(
            reverse("accounts:organisation_edit", args=[beta.pk]),
            {"legal_name": "Hijacked", "country": "UA", "org_type": "ngo", "registration_id": beta.registration_id},
        ).status_code
        == 404
    )
    beta.refresh_from_db()
    assert beta.legal_name == "Beta" and not beta.invitations.exists()
    listing = client.get(reverse("accounts:organisation_list")).content.decode()
    assert "Alpha" in listing and "Beta" not in listing


def test_member_of_a_cannot_see_b_through_the_api(two_orgs):
    alice, alpha, bob, beta = two_orgs
    api = api_for(alice)
    listing = api.get("/api/v1/organisations/").json()
    assert [o["legal_name"] for o in listing["results"]] == ["Alpha"]
    assert api.get(f"/api/v1/organisations/{alpha.pk}/").status_code == 200
    assert api.get(f"/api/v1/organisations/{beta.pk}/").status_code == 404
    assert api.patch(f"/api/v1/organisations/{beta.pk}/", {"legal_name": "x"}, format="json").status_code in (404, 405)


def test_api_needs_authentication(two_orgs):
    assert APIClient().get("/api/v1/organisations/").status_code == 401


def test_api_register_and_field_errors(make_user):
    api = api_for(make_user())
    bad = api.post(
        "/api/v1/organisations/",
        {"legal_name": "X", "country": "MD", "org_type": "ngo", "registration_id": "MD-IDNO-12"},
        format="json",
    )
    assert bad.status_code == 400 and "registration_id" in bad.json()
    good = api.post(
        "/api/v1/organisations/",
        {
            "legal_name": "Asociația",
            "country": "MD",
            "org_type": "association",
            "registration_id": "MD-IDNO-1003600123456",
        },
        format="json",
    )
    assert good.status_code == 201 and good.json()["member_count"] == 1


def test_programme_manager_sees_all_organisations(two_orgs, make_user, programme, grant_role):
    manager = grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER)
    names = [o["legal_name"] for o in api_for(manager).get("/api/v1/organisations/").json()["results"]]
    assert names == ["Alpha", "Beta"]


def test_donor_and_reviewer_see_no_organisations(two_orgs, make_user, programme, grant_role):
    for role in (ProgrammeRole.Role.DONOR, ProgrammeRole.Role.REVIEWER, ProgrammeRole.Role.FINANCE):
        user = grant_role(make_user(), programme, role)
        assert api_for(user).get("/api/v1/organisations/").json()["count"] == 0


def test_invite_and_accept(client, two_orgs, make_user, django_capture_on_commit_callbacks):
    alice, alpha, bob, beta = two_orgs
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:organisation_detail", args=[alpha.pk]), {"email": "Carol@C.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carol@c.org"]
    invitation = alpha.invitations.get()
    assert f"/organisations/invitations/{invitation.token}/" in mail.outbox[0].body
    carol = make_user("carol@c.org")
    client.force_login(carol)
    client.post(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert Membership.objects.get(organisation=alpha, user=carol).role == "member"


def test_invitation_cannot_be_used_by_another_address(client, two_orgs, make_user):
    alice, alpha, bob, beta = two_orgs
    from accounts.services import member_invite

    invitation = member_invite(actor=alice, organisation=alpha, email="carol@c.org")
    client.force_login(bob)
    client.post(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert not Membership.objects.filter(organisation=alpha, user=bob).exists()


def test_plain_member_cannot_invite(client, two_orgs, make_user):
    alice, alpha, bob, beta = two_orgs
    member = make_user()
    Membership.objects.create(organisation=alpha, user=member, role="member")
    client.force_login(member)
    assert (
        client.post(reverse("accounts:organisation_detail", args=[alpha.pk]), {"email": "x@y.org"}).status_code == 404
    )
    assert not alpha.invitations.exists()


def test_organisation_list_query_count_does_not_grow(
    client, make_user, make_org, programme, grant_role, django_assert_max_num_queries
):
    manager = grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER)
    client.force_login(manager)
    owner = make_user()
    make_org(owner)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:organisation_list"))
    for _ in range(30):
        make_org(owner)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts:organisation_list"))
    assert len(many) == len(few)
