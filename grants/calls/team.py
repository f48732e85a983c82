"""A programme's team: the people who hold a role in it (programme managers, finance officers,
donors' readers, reviewers), invited by e-mail into a role, moved to another role or ended by the
programme's managers, each change audited. Reviewers join through the reviewer pool (their
profile: expertise, languages, countries); this page lists them and ends their role like any
other. A programme never loses its last manager."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole
from accounts.roles import MANAGER, REVIEWER, roles_forget
from accounts.services import invited_account
from audit.services import audit_record
from audit.transitions import lock
from core.shortcuts import get_permitted_or_403
from grants.calls.models import Programme
from workers.messenger import notify_user

Role = ProgrammeRole.Role
# The roles this page invites into; reviewers come in through the pool, with their profile.
INVITED_ROLES = [Role.MANAGER, Role.FINANCE, Role.DONOR]
ROLE_ORDER = [Role.MANAGER, Role.FINANCE, Role.DONOR, Role.REVIEWER]


def team_of(programme: Programme) -> dict[str, list[ProgrammeRole]]:
    """The programme's people by role, in ROLE_ORDER, each by name (one query)."""
    team: dict[str, list[ProgrammeRole]] = {role: [] for role in ROLE_ORDER}
    for held in (
        ProgrammeRole.objects.filter(programme=programme)
        .select_related("user")
        .order_by("user__full_name", "user__email", "pk")
    ):
        team[held.role].append(held)
    return team


def _managed(actor, programme_id: int) -> Programme:
    return get_permitted_or_403(actor, Programme, programme_id, "grants.manage_programme")


def _role_named(role: str, allowed) -> str:
    if role not in allowed:
        raise ValidationError({"role": _("Choose one of the roles offered.")})
    return role


def _keeps_a_manager(programme: Programme, held: ProgrammeRole) -> None:
    """Refuse to end or move the programme's last manager: nobody could manage it after."""
    others = ProgrammeRole.objects.filter(programme=programme, role=MANAGER).exclude(pk=held.pk)
    if held.role == MANAGER and not others.exists():
        raise ValidationError(
            _("A programme needs at least one programme manager: give the role to someone else first.")
        )


def team_invite(*, actor, programme_id: int, email: str, role: str, full_name: str = "") -> ProgrammeRole:
    """Give a person a role in the programme, creating their account if needed (they choose a
    password from the e-mailed link), and tell them."""
    programme = _managed(actor, programme_id)
    role = _role_named(role, INVITED_ROLES)
    with transaction.atomic():
        lock(Programme, programme.pk)  # the team changes one at a time
        user, created, set_password_path = invited_account(email=email, full_name=full_name, language=actor.language)
        held, added = ProgrammeRole.objects.get_or_create(user=user, programme=programme, role=role)
        if not added:
            raise ValidationError({"email": _("This person already holds this role in the programme.")})
        event = audit_record(
            actor=actor,
            action="team_invite",
            obj=programme,
            data={"user": user.pk, "role": role, "account_created": created},
        )
        with translation.override(user.language or None):
            programme_title = programme.title
            role_name = str(Role(role).label)
        notify_user(
            kind="programme_role_granted",
            user=user,
            obj=programme,
            key=str(event.seq),
            context={
                "programme": programme_title,
                "role": role_name,
                "inviter": str(actor),
                "path": reverse("home"),
                "set_password_path": set_password_path,
            },
        )
    roles_forget(user)
    return held


def team_role_change(*, actor, programme_id: int, role_id: int, role: str) -> ProgrammeRole:
    """Move a person from one role to another in the same programme (not into or out of the
    reviewer pool, which keeps a profile)."""
    programme = _managed(actor, programme_id)
    role = _role_named(role, INVITED_ROLES)
    with transaction.atomic():
        lock(Programme, programme.pk)
        held = ProgrammeRole.objects.select_for_update().filter(pk=role_id, programme=programme).first()
        if held is None:
            raise ValidationError(_("This role has already ended."))
        if held.role == REVIEWER:
            raise ValidationError(
                {"role": _("Reviewers keep their role in the reviewer pool; invite them into another role.")}
            )
        if held.role == role:
            return held
        if ProgrammeRole.objects.filter(programme=programme, user_id=held.user_id, role=role).exists():
            raise ValidationError({"role": _("This person already holds that role in the programme.")})
        _keeps_a_manager(programme, held)
        before = held.role
        held.role = role
        held.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="team_role_change",
            obj=programme,
            data={"user": held.user_id, "from": before, "to": role},
        )
    return held


def team_role_end(*, actor, programme_id: int, role_id: int) -> None:
    """End a person's role in the programme: they lose what it gave them at their next request.
    What they did stays (reviews, payments, the audit trail)."""
    programme = _managed(actor, programme_id)
    with transaction.atomic():
        lock(Programme, programme.pk)
        held = ProgrammeRole.objects.select_for_update().filter(pk=role_id, programme=programme).first()
        if held is None:
            return  # already ended: nothing to do, nothing to say
        if held.user_id == actor.pk and held.role == MANAGER and not actor.is_superuser:
            raise ValidationError(_("Ask another programme manager to end your own role."))
        _keeps_a_manager(programme, held)
        audit_record(actor=actor, action="team_role_end", obj=programme, data={"user": held.user_id, "role": held.role})
        held.delete()
