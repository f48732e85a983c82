"""API tokens: made on the account's API token page, ended by expiry, by their owner, and whenever
the account's recovery changes hands (password changed or reset, e-mail address changed, second
factor removed or reset, account deactivated)."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from audit.services import audit_record
from core.clock import moment_text
from workers.messenger import notify_user

# How long a token may go unseen before its "last used" time is written again: one write a
# minute per token, not one per request.
LAST_USED_EVERY = timedelta(minutes=1)
EXPIRY_CHOICES_DAYS = (30, 90, 365)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, user, days: int | None) -> tuple[ApiToken, str]:
    """A new token for `user` (the old one stops working). Returns the row and the key, which is
    never stored and cannot be shown again."""
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=ApiToken.Revoked.REPLACED
        )
        token = ApiToken.objects.create(
            user=user,
            digest=digest_of(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + timedelta(days=days) if days else None,
        )
        audit_record(actor=user, action="api_token_create", obj=user, data={"expires_at": token.expires_at})
    return token, key


def tokens_revoke(*, user, reason: str, actor=None) -> int:
    """End every live token of `user`. The owner is told (on the site and by e-mail) unless they did
    it themselves; returns how many were revoked."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        if revoked:
            event = audit_record(
                actor=actor or user, action="api_tokens_revoke", obj=user, data={"reason": reason, "count": revoked}
            )
            if reason != ApiToken.Revoked.BY_OWNER:
                notify_user(
                    kind="api_tokens_revoked",
                    user=user,
                    obj=user,
                    key=str(event.seq),
                    context={"reason": reason, "path": "/account/api-token/"},
                )
    return revoked


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token scheme over ApiToken: refuses revoked and expired tokens saying why, and keeps
    each token's last-used time."""

    model = ApiToken

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This API token was revoked on %(date)s (%(reason)s). Create a new one on your API token page.")
                % {"date": moment_text(token.revoked_at), "reason": token.get_revoked_reason_display()}
            )
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This API token expired on %(date)s. Create a new one on your API token page.")
                % {"date": moment_text(token.expires_at)}
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
