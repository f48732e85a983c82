from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import FINANCE, MANAGER, programme_ids
from accounts.timezones import user_time_zone


class UserLanguageMiddleware:
    """A logged-in user's saved language wins over the browser's, so the choice sticks across
    devices; the switcher saves it (and sets the cookie for anonymous visitors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.language
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Pages show times in the logged-in user's time zone (accounts.timezones), others in the site's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(user_time_zone(user))
        else:
            timezone.deactivate()
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
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
