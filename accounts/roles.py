"""Which roles a user holds, read once per request and kept on the user object (Django gives
each request its own user instance, so a role changed between requests is seen on the next)."""

from accounts.models import Membership, ProgrammeRole

MANAGER = ProgrammeRole.Role.MANAGER
FINANCE = ProgrammeRole.Role.FINANCE
DONOR = ProgrammeRole.Role.DONOR
REVIEWER = ProgrammeRole.Role.REVIEWER


def _programme_roles_held(pairs) -> dict[str, frozenset[int]]:
    held: dict[str, set[int]] = {role: set() for role in ProgrammeRole.Role.values}
    for role, programme_id in pairs:
        held[role].add(programme_id)
    return {role: frozenset(ids) for role, ids in held.items()}


def _programme_roles(user) -> dict[str, frozenset[int]]:
    cached = getattr(user, "_hromada_programme_roles", None)
    if cached is None:
        cached = _programme_roles_held(ProgrammeRole.objects.filter(user=user.pk).values_list("role", "programme"))
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
        cached = dict(Membership.objects.filter(user=user.pk).values_list("organisation", "role"))
        user._hromada_org_roles = cached
    return cached


def roles_forget(user) -> None:
    # The last is applications.visibility's "ever cleared to review" (kept there, forgotten here).
    for attr in ("_hromada_programme_roles", "_hromada_org_roles", "_hromada_reviews_cleared"):
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
