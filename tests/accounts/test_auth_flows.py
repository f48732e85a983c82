"""Sign-up with e-mail verification, log in and out, password reset; the API schema and docs."""

import re

from django.core import mail
from django.urls import reverse

from accounts.models import User


def link_in_last_mail(path_fragment):
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^\s]+" + re.escape(path_fragment) + r"[^\s]*", body)
    assert match, body
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def test_sign_up_needs_a_verified_email_then_logs_in(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Олена Коваленко",
            "email": "olena@cso.org.ua",
            "password1": "a-long-passphrase-2026",
            "password2": "a-long-passphrase-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="olena@cso.org.ua")
    assert user.full_name == "Олена Коваленко"
    assert client.get(reverse("dashboard")).status_code == 302  # not logged in before verification
    confirm_path = link_in_last_mail("/accounts/confirm-email/")
    assert client.get(confirm_path).status_code == 200
    client.post(confirm_path)
    assert client.get(reverse("dashboard")).status_code == 200


def test_login_logout_and_password_reset(client, make_user):
    from allauth.account.models import EmailAddress

    user = make_user("ana@cso.md")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    assert client.post(reverse("account_login"), {"login": "ana@cso.md", "password": "wrong"}).status_code == 200
    assert (
        client.post(reverse("account_login"), {"login": "ana@cso.md", "password": "correct-horse-battery"}).status_code
        == 302
    )
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302

    client.post(reverse("account_reset_password"), {"email": "ana@cso.md"})
    reset_path = link_in_last_mail("/accounts/password/reset/key/")
    form_page = client.get(reset_path, follow=True)
    set_path = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path
    done = client.post(set_path, {"password1": "brand-new-secret-77", "password2": "brand-new-secret-77"})
    assert done.status_code == 302
    assert (
        client.post(reverse("account_login"), {"login": "ana@cso.md", "password": "brand-new-secret-77"}).status_code
        == 302
    )


def test_reset_email_comes_in_the_users_language(client, make_user):
    from allauth.account.models import EmailAddress

    user = make_user("lilit@cso.am", language="hy")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": user.email})
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("hy"):
        expected = gettext("Password Reset Email")
    assert expected != "Password Reset Email" and expected in mail.outbox[-1].subject


def test_openapi_schema_and_docs(client, db):
    schema = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/organisations/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    docs = client.get(reverse("api_docs"))
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_account_emails_are_signed_by_the_sites_name_not_its_host(client, make_user):
    from allauth.account.models import EmailAddress

    user = make_user("olha@cso.ua", language="en")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": user.email})
    body = mail.outbox[-1].body
    assert "Hello from Hromada!" in body and "Hello from testserver" not in body
    assert mail.outbox[-1].subject.startswith("[Hromada] ")


def test_account_mails_use_the_sites_layout_name_and_headers(client, settings, db):
    settings.SITE_URL = "https://grants.example.org"
    client.post(
        reverse("account_signup"),
        {
            "full_name": "Ani",
            "email": "ani@cso.am",
            "password1": "a-long-passphrase-2026",
            "password2": "a-long-passphrase-2026",
        },
    )
    message = mail.outbox[-1]
    html = {mime: content for content, mime in message.alternatives}["text/html"]
    assert message.subject.startswith("[Hromada]")
    assert "testserver" not in message.subject and "Hello from Hromada" in message.body
    assert "Thank you for using Hromada!\ngrants.example.org" in message.body
    assert "/accounts/confirm-email/" in html and "<img" not in html
    headers = message.message()
    assert headers["Auto-Submitted"] == "auto-generated" and headers["Content-Language"] == "en"
    assert headers["Message-ID"].strip().endswith("@grants.example.org>")
    assert headers["List-Unsubscribe"] is None and "cannot be switched off" in message.body
