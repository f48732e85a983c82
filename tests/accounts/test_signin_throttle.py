"""Sign-in cannot be turned against users: a spray from one address is throttled while everyone
else signs in; wrong passwords typed by strangers never lock out a programme manager or anyone
with a second factor; behind the proxy each client counts by its own forwarded address."""

import uuid

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import ProgrammeRole
from audit.models import AuditEvent

PASSWORD = "correct-horse-battery"
THROTTLED = "Too many failed sign-in attempts"


@pytest.fixture
def person(make_user):
    def make(**extra):
        user = make_user(f"{uuid.uuid4().hex[:10]}@cso.example", **extra)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    return make


def address():
    """A client address of this test's own (the rate limits live in a cache shared by the run)."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def sign_in(client, login, password, **meta):
    return client.post(reverse("account_login"), {"login": login, "password": password}, **meta)


def refused(response):
    """Throttled: the sign-in form says so, or (past thirty posts a minute) a 429 page does."""
    return response.status_code == 429 or THROTTLED in response.content.decode()


def signed_in(response):
    return response.status_code == 302 and "/accounts/login/" not in response["Location"]


def test_a_spray_of_a_thousand_attempts_from_one_address_is_throttled(client, person, settings):
    spray_from = address()
    let_through = 0
    for n in range(1000):
        response = sign_in(client, f"guess{n}@cso.example", "password123", REMOTE_ADDR=spray_from)
        let_through += not refused(response)
    assert let_through <= 10  # ten a minute from one address, then only refusals
    # Nobody else is affected: a real user from another address signs in.
    user = person()
    assert signed_in(sign_in(client, user.email, PASSWORD, REMOTE_ADDR=address()))
    # The thousand refusals are one audit event, not a thousand.
    assert AuditEvent.objects.filter(action="login_throttled", object_id=spray_from).count() == 1


def test_behind_the_proxy_each_client_counts_by_its_forwarded_address(client, person, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy, attacker = address(), address()
    for n in range(30):
        sign_in(client, f"guess{n}@cso.example", "password123", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=attacker)
    assert refused(sign_in(client, "guess0@cso.example", "x", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=attacker))
    # Another client through the same proxy is not the attacker.
    user = person()
    assert signed_in(sign_in(client, user.email, PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address()))


def test_without_a_trusted_proxy_a_forged_forwarded_address_changes_nothing(client, person):
    spray_from = address()
    for n in range(30):
        sign_in(client, f"guess{n}@cso.example", "x", REMOTE_ADDR=spray_from, HTTP_X_FORWARDED_FOR=address())
    response = sign_in(client, "guess0@cso.example", "x", REMOTE_ADDR=spray_from, HTTP_X_FORWARDED_FOR=address())
    assert refused(response)


def test_strangers_wrong_passwords_never_lock_out_a_programme_manager(client, person, programme):
    manager = person()
    ProgrammeRole.objects.create(user=manager, programme=programme, role=ProgrammeRole.Role.MANAGER)
    for _ in range(12):  # from one address, and from twelve others
        sign_in(client, manager.email, "wrong-password", REMOTE_ADDR="203.0.113.9")
    for _ in range(12):
        sign_in(client, manager.email, "wrong-password", REMOTE_ADDR=address())
    assert signed_in(sign_in(client, manager.email, PASSWORD, REMOTE_ADDR=address()))
    # The attacker's own address is slowed down for this account.
    assert refused(sign_in(Client(), manager.email, PASSWORD, REMOTE_ADDR="203.0.113.9"))
    failures = AuditEvent.objects.filter(action="login_failed", object_id=str(manager.pk))
    assert failures.count() >= 12 and failures.filter(data__address="203.0.113.9").exists()


def test_an_ordinary_account_cools_off_briefly_with_a_message_in_the_users_language(client, person):
    applicant = person()
    for _ in range(5):
        sign_in(client, applicant.email, "wrong-password", REMOTE_ADDR=address())
    response = sign_in(client, applicant.email, PASSWORD, REMOTE_ADDR=address(), HTTP_ACCEPT_LANGUAGE="uk")
    assert not signed_in(response)
    with translation.override("uk"):
        expected = gettext(
            "Too many failed sign-in attempts. For your safety, sign-in is paused for a few minutes: wait and "
            "try again, or reset your password."
        )
    assert expected in response.content.decode()


def test_an_account_with_a_second_factor_is_not_locked_out_by_strangers(client, person):
    applicant = person()
    Authenticator.objects.create(user=applicant, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    for _ in range(8):
        sign_in(client, applicant.email, "wrong-password", REMOTE_ADDR=address())
    response = sign_in(client, applicant.email, PASSWORD, REMOTE_ADDR=address())
    assert response.status_code == 302 and "/2fa/authenticate" in response["Location"]


def test_the_admin_signs_in_through_the_sites_rate_limited_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
