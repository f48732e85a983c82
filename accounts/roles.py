"""Which roles a user holds, read once per request and cached on the user object.

Both reads run on nearly every request of a logged-in user, so they are written out in SQL
rather than built by the ORM each time (see config.hotpath)."""
from config import hotpath

from .models import Membership, ProgrammeRole

MANAGER = ProgrammeRole.Role.MANAGER
FINANCE = ProgrammeRole.Role.FINANCE
DONOR = ProgrammeRole.Role.DONOR
REVIEWER = ProgrammeRole.Role.REVIEWER


def _programme_roles(user) -> dict[str, frozenset[int]]:
    cached = getattr(user, "_hromada_programme_roles", None)
    if cached is None:
        cached = {role: set() for role in ProgrammeRole.Role.values}
        for role, programme_id in hotpath.values_list(ProgrammeRole, ("role", "programme"), user=user.pk):
            cached[role].add(programme_id)
        cached = {role: frozenset(ids) for role, ids in cached.items()}
        user._hromada_programme_roles = cached
    return cached


def programme_ids(user, *roles: str) -> frozenset[int]:
    """Programmes where the user holds any of `roles`."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    held = _programme_roles(user)
    return frozenset().union(*(held[r] for r in roles)) if roles else frozenset().union(*held.values())


def organisation_roles(user) -> dict[int, str]:
    cached = getattr(user, "_hromada_org_roles", None)
    if cached is None:
        cached = dict(hotpath.values_list(Membership, ("organisation", "role"), user=user.pk))
        user._hromada_org_roles = cached
    return cached


def roles_forget(user) -> None:
    for attr in ("_hromada_programme_roles", "_hromada_org_roles"):
        if hasattr(user, attr):
            delattr(user, attr)


def user_role_names(user) -> list[str]:
    """The roles the navigation and dashboard are built for, in a stable order."""
    if not getattr(user, "is_authenticated", False):
        return []
    names = []
    if organisation_roles(user):
        names.append("applicant")
    for role in (REVIEWER, MANAGER, FINANCE, DONOR):
        if programme_ids(user, role):
            names.append(role)
    if user.is_superuser:
        names.append("admin")
    return names
