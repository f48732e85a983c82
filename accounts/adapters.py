import logging
from email.utils import make_msgid
from typing import NamedTuple
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts import signin
from workers.mail import email_compose, html_render, message_id_domain, site_name, text_as_html


class SiteIdentity(NamedTuple):
    """What allauth's templates call the site: its name and its public domain."""

    name: str
    domain: str


log = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed sign-in attempts. For your safety, sign-in is paused for a few minutes: wait and "
            "try again, or reset your password."
        ),
    }

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's mails (sign-up, sign-in codes, password) in the site's own layout and headers:
        the site's name, never the host it was reached by; a text and an HTML part; a Message-ID
        in the site's domain; never an unsubscribe link (account mail cannot be stopped)."""
        context = {**context, "current_site": SiteIdentity(site_name(), urlsplit(settings.SITE_URL).netloc)}
        rendered = super().render_mail(template_prefix, email, context, headers)
        language = translation.get_language() or settings.LANGUAGE_CODE
        footer = {
            "why": _(
                "You receive this e-mail because of an action on your account (signing up, signing in, the password "
                "or the e-mail address); it cannot be switched off."
            ),
            "preferences_url": f"{settings.SITE_URL}/notifications/preferences/",
            "unsubscribe_url": "",
        }
        text = f"{rendered.body.rstrip()}\n\n{render_to_string('workers/email/_footer.txt', footer)}"
        html = html_render(
            ["workers/email/html/_layout.html"],
            {
                **footer,
                "subject": rendered.subject.removeprefix(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX),
                "language": language,
                "site_name": site_name(),
                "site_url": settings.SITE_URL,
                "body_html": mark_safe(text_as_html(rendered.body)),  # escaped by text_as_html
            },
        )
        message = email_compose(
            subject=rendered.subject,
            text=text,
            html=html,
            to=rendered.to[0],
            language=language,
            message_id=make_msgid(domain=message_id_domain()),
            from_email=rendered.from_email,
        )
        message.to = list(rendered.to)
        message.extra_headers.update({k: v for k, v in (headers or {}).items() if k not in message.extra_headers})
        return message

    def send_mail(self, template_prefix, email, context):
        """Write allauth's e-mails in the recipient's language when we know it (signed by the site's
        name, "Hello from Hromada!": render_mail)."""
        user = context.get("user")
        language = getattr(user, "language", None) or translation.get_language()
        with translation.override(language):
            return super().send_mail(template_prefix, email, context)

    def get_client_ip(self, request):
        """The client's address as the trusted proxies saw it (settings.ALLAUTH_TRUSTED_PROXY_COUNT);
        a forwarded-for header shorter than the configured proxy chain is not trusted."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            log.error("X-Forwarded-For has fewer addresses than TRUSTED_PROXY_COUNT; using the connection's")
            return request.META.get("REMOTE_ADDR")

    def _get_login_attempts_cache_key(self, request, **credentials):
        """What "per account" counts (allauth's per-key limit): the account alone, or for an account
        strangers must not lock out, the account from this client address."""
        key = super()._get_login_attempts_cache_key(request, **credentials)
        if signin.account_is_protected(signin.account_of(signin.login_of(credentials))):
            return f"{key}|{self.get_client_ip(request)}"
        return key

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            signin.throttle_record(address=self.get_client_ip(request) or "", login=signin.login_of(credentials))
            raise

    def authentication_failed(self, request, **credentials):
        signin.failure_record(address=self.get_client_ip(request) or "", login=signin.login_of(credentials))
