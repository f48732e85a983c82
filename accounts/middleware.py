from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from accounts.backends import session_offering_user
from accounts.roles import FINANCE, MANAGER, programme_ids


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with `request.user` decided by Django's `auth.get_user` while the backend may take
    the user the session was read with (accounts.sessions): one read instead of two."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: user_of(request))


def user_of(request):
    if not hasattr(request, "_cached_user"):
        with session_offering_user(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user


class UserLanguageMiddleware:
    """A logged-in user's saved language wins over the browser's, so the choice sticks across
    devices; the switcher saves it (and sets the cookie for anonymous visitors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class MfaRequiredMiddleware:
    """With MFA required, programme managers and finance officers enrol TOTP before anything else."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/language/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES and self._must_enrol(request):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _must_enrol(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(self.ALLOWED_PREFIXES):
            return False
        if request.path.startswith("/api/"):
            return False  # the API authenticates by token; tokens are issued only after enrolment
        if not programme_ids(user, MANAGER, FINANCE):
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
