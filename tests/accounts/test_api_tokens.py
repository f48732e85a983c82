"""API tokens end with the credentials they were made under: a password change or reset, an e-mail
change, a second factor removed and a deactivation each stop the token at once, the owner is told
why, and tokens carry a last-used time and an optional expiry."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_create
from workers.models import Notification

PASSWORD = "correct-horse-battery"


@pytest.fixture
def owner(make_user):
    user = make_user("tokens@cso.example")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def api_with(key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def works(key):
    return api_with(key).get("/api/v1/organisations/").status_code == 200


def refused_because(key, words):
    response = api_with(key).get("/api/v1/organisations/")
    return response.status_code == 401 and words in response.json()["detail"]


def page_says(client, words):
    return words in client.get(reverse("accounts:api_token")).content.decode()


def sign_in(client, user):
    assert client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}).status_code == 302


def test_a_password_change_ends_the_token_and_the_owner_is_told(client, owner):
    _token, key = token_create(user=owner, days=None)
    assert works(key)
    sign_in(client, owner)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-long-secret-9", "password2": "another-long-secret-9"},
    )
    assert response.status_code == 302
    assert refused_because(key, "your password was changed or reset")
    assert page_says(client, "your password was changed or reset")
    assert Notification.objects.filter(recipient=owner, kind="api_tokens_revoked").exists()


def test_a_password_reset_ends_the_token(client, owner):
    _token, key = token_create(user=owner, days=90)
    client.post(reverse("account_reset_password"), {"email": owner.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    page = client.get(link, follow=True)
    set_path = page.redirect_chain[-1][0] if page.redirect_chain else link
    assert (
        client.post(set_path, {"password1": "brand-new-secret-77", "password2": "brand-new-secret-77"}).status_code
        == 302
    )
    assert refused_because(key, "your password was changed or reset")


def test_changing_the_primary_e_mail_address_ends_the_token(client, owner):
    _token, key = token_create(user=owner, days=None)
    EmailAddress.objects.create(user=owner, email="new@cso.example", verified=True, primary=False)
    sign_in(client, owner)
    client.post(reverse("account_email"), {"action_primary": "", "email": "new@cso.example"})
    assert EmailAddress.objects.get(user=owner, primary=True).email == "new@cso.example"
    assert refused_because(key, "your e-mail address was changed")


def test_removing_the_second_factor_ends_the_token(client, owner):
    Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    _token, key = token_create(user=owner, days=None)
    client.force_login(owner)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302 and not Authenticator.objects.filter(user=owner).exists()
    assert refused_because(key, "your second factor was removed or reset")


def test_deactivating_the_account_in_the_admin_ends_the_token(client, owner, make_user):
    _token, key = token_create(user=owner, days=None)
    admin = make_user("admin@hromada.example", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[owner.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "date_joined_0": owner.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": owner.date_joined.strftime("%H:%M:%S"),
            "programme_roles-TOTAL_FORMS": "0",
            "programme_roles-INITIAL_FORMS": "0",
        }
    )
    data.pop("is_active")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    owner.refresh_from_db()
    assert not owner.is_active
    assert refused_because(key, "your account was deactivated")


def test_tokens_expire_and_record_when_they_were_last_used(owner):
    token, key = token_create(user=owner, days=30)
    assert token.last_used_at is None
    assert works(key)
    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refused_because(key, "expired")


def test_the_owner_can_revoke_their_token(client, owner):
    _token, key = token_create(user=owner, days=None)
    client.force_login(owner)
    client.post(reverse("accounts:api_token"), {"action": "revoke"})
    assert refused_because(key, "revoked by you")
    assert not Notification.objects.filter(recipient=owner, kind="api_tokens_revoked").exists()
