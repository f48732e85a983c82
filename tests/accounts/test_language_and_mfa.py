"""Language choice sticks; programme managers and finance officers must enrol TOTP when required."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ProgrammeRole


def test_anonymous_choice_sticks_in_a_cookie(client, db):
    response = client.post(reverse("accounts:language_set"), {"language": "hy", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "hy"
    assert '<html lang="hy">' in client.get("/").content.decode()


def test_logged_in_choice_is_saved_on_the_user_and_follows_them(client, make_user):
    user = make_user(language="en")
    client.force_login(user)
    client.post(reverse("accounts:language_set"), {"language": "uk", "next": "/dashboard/"})
    user.refresh_from_db()
    assert user.language == "uk"
    other_browser = client.__class__()
    other_browser.force_login(user)
    assert '<html lang="uk">' in other_browser.get(reverse("dashboard")).content.decode()


def test_unknown_language_and_foreign_redirects_are_ignored(client):
    response = client.post(reverse("accounts:language_set"), {"language": "xx", "next": "https://evil.example/"})
    assert response.url == "/" and "django_language" not in response.cookies


def login_via_form(client, user):
    """A real login through allauth (MFA pages need a fresh authentication, not force_login)."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 302, response.content.decode()[:2000]


def reauthenticate(client):
    """allauth asks for the password again before showing the TOTP secret."""
    response = client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    assert response.status_code == 302


@pytest.fixture(autouse=True)
def verified_emails(db):
    from allauth.account.models import EmailAddress
    from django.db.models.signals import post_save

    from accounts.models import User

    def verify(sender, instance, created, **kwargs):
        if created:
            EmailAddress.objects.create(user=instance, email=instance.email, verified=True, primary=True)

    post_save.connect(verify, sender=User, dispatch_uid="test-verified-emails")
    yield
    post_save.disconnect(sender=User, dispatch_uid="test-verified-emails")


@pytest.fixture
def mfa_required(settings):
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = True


@pytest.mark.parametrize("role", [ProgrammeRole.Role.MANAGER, ProgrammeRole.Role.FINANCE])
def test_money_roles_must_enrol_totp_when_required(client, make_user, programme, grant_role, mfa_required, role):
    user = grant_role(make_user(), programme, role)
    login_via_form(client, user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 302  # asks for the password first
    reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200  # the enrolment page itself is reachable
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(reverse("dashboard")).status_code == 200


def test_other_roles_are_not_forced(client, make_user, programme, grant_role, mfa_required):
    client.force_login(grant_role(make_user(), programme, ProgrammeRole.Role.REVIEWER))
    assert client.get(reverse("dashboard")).status_code == 200


def test_not_forced_when_setting_is_off(client, make_user, programme, grant_role, settings):
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = False
    client.force_login(grant_role(make_user(), programme, ProgrammeRole.Role.MANAGER))
    assert client.get(reverse("dashboard")).status_code == 200


def test_totp_enrolment_page_offers_a_secret(client, make_user, programme, grant_role):
    login_via_form(client, grant_role(make_user(), programme, ProgrammeRole.Role.FINANCE))
    reauthenticate(client)
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "otpauth://" in html or "secret" in html.lower()


def test_api_token_page_shows_a_new_key_once_and_replacing_it_ends_the_old_one(client, make_user):
    user = make_user()
    client.force_login(user)
    client.post(reverse("accounts:api_token"), {"action": "create", "expires_in": "90"})
    page = client.get(reverse("accounts:api_token")).content.decode()
    first = re.search(r'id="api-token" readonly value="([0-9a-f]{40})"', page).group(1)
    assert first not in client.get(reverse("accounts:api_token")).content.decode()  # shown once
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get("/api/v1/organisations/").status_code == 200
    client.post(reverse("accounts:api_token"), {"action": "create", "expires_in": "0"})
    refused = api.get("/api/v1/organisations/")
    assert refused.status_code == 401 and "replaced by a new token" in refused.json()["detail"]
    assert "replaced by a new token" in client.get(reverse("accounts:api_token")).content.decode()
