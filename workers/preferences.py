"""Per-user, per-kind delivery preferences: at once, in the daily digest, or only in the app.
Every sender goes through workers.messenger (one row at a time) or the reminder sweep and the
digests (set-based), and each of them reads these rows; a kind without a row is "at once"."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workers.models import Delivery, NotificationPreference
from workers.notifications import KINDS


def kinds_configurable() -> list[str]:
    return [name for name, kind in KINDS.items() if kind.configurable]


# The roles a kind names (accounts.roles' names), in the order the preferences page shows them.
ROLE_GROUPS = [
    ("applicant", gettext_lazy("As a member of an applicant or grantee organisation")),
    ("reviewer", gettext_lazy("As a reviewer")),
    ("manager", gettext_lazy("As a programme manager")),
    ("finance", gettext_lazy("As a finance officer")),
    ("donor", gettext_lazy("As a donor")),
]


def user_roles_held(user) -> set[str]:
    """The roles a person holds, read by model label (workers sits below accounts): two queries."""
    if user.is_superuser:
        return {role for role, _label in ROLE_GROUPS}
    Membership = apps.get_model("accounts", "Membership")
    ProgrammeRole = apps.get_model("accounts", "ProgrammeRole")
    held = set(ProgrammeRole.objects.filter(user=user.pk).values_list("role", flat=True).distinct())
    if Membership.objects.filter(user=user.pk).exists():
        held.add("applicant")
    return held


def preferences_groups(user) -> list[tuple[str, list[str]]]:
    """(role's heading, kinds) for the roles the person holds: each configurable kind once, under
    the first of its roles the person holds; kinds no role of theirs receives are left out."""
    held = user_roles_held(user)
    placed: set[str] = set()
    groups = []
    for role, label in ROLE_GROUPS:
        if role not in held:
            continue
        kinds = [k for k in kinds_configurable() if role in KINDS[k].roles and k not in placed]
        placed.update(kinds)
        if kinds:
            groups.append((str(label), kinds))
    return groups


def preferences_get(user) -> dict[str, str]:
    """Every configurable kind with the user's choice (default: at once)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode"))
    return {kind: chosen.get(kind, Delivery.IMMEDIATE) for kind in kinds_configurable()}


def preferences_set(*, actor, modes: dict[str, str]) -> dict[str, str]:
    """Store the user's choice for each kind in `modes`; unknown kinds or modes are refused."""
    configurable = set(kinds_configurable())
    errors = {}
    for kind, mode in modes.items():
        if kind not in configurable:
            errors[kind] = _("This kind of notification cannot be configured.")
        elif mode not in Delivery.values:
            errors[kind] = _("Choose how you want to receive it.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=actor, kind=kind, mode=mode) for kind, mode in modes.items()],
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["mode"],
        )
    return preferences_get(actor)


def preferences_unsubscribe(*, user_id: int, kind: str) -> list[str]:
    """One-click unsubscribe (RFC 8058) for a kind a person may stop: its e-mails stop (they stay
    on the notifications page). The daily digest stops by stopping every kind gathered into it.
    Returns the kinds changed; account and security mail is never stopped."""
    if kind == "daily_digest":
        kinds = list(
            NotificationPreference.objects.filter(user_id=user_id, mode=Delivery.DIGEST).values_list("kind", flat=True)
        )
    elif kind in kinds_configurable():
        kinds = [kind]
    else:
        return []
    with transaction.atomic():
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user_id=user_id, kind=k, mode=Delivery.OFF) for k in kinds],
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["mode"],
        )
    return kinds
