import logging
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import signin

log = logging.getLogger(__name__)

SITE_NAME = "Hromada"


def site_of(request) -> RequestSite | SimpleNamespace:
    """The site as e-mails name it: "Hromada", at the host the request came to (or SITE_URL's)."""
    if request is not None:
        site = RequestSite(request)
        site.name = SITE_NAME
        return site
    return SimpleNamespace(name=SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed sign-in attempts. For your safety, sign-in is paused for a few minutes: wait and "
            "try again, or reset your password."
        ),
    }

    def send_mail(self, template_prefix, email, context):
        """Write allauth's e-mails in the recipient's language when we know it, signed by the site's
        name ("Hello from Hromada!"), not by the host the request came to."""
        user = context.get("user")
        language = getattr(user, "language", None) or translation.get_language()
        context = {"current_site": site_of(allauth_context.request), **context}
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
