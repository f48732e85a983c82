"""What accounts does when allauth reports a change to how someone signs in: API tokens end with
the credentials they were made under. Connected in AccountsConfig.ready()."""

from accounts.models import ApiToken
from accounts.tokens import tokens_revoke


def on_password_changed(sender, request, user, **kwargs):
    tokens_revoke(user=user, reason=ApiToken.Revoked.PASSWORD)


def on_email_changed(sender, request, user, **kwargs):
    tokens_revoke(user=user, reason=ApiToken.Revoked.EMAIL)


def on_authenticator_changed(sender, request, user, **kwargs):
    tokens_revoke(user=user, reason=ApiToken.Revoked.MFA)
