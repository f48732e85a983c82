"""Which roles a user holds, read once per request and cached on the user object.

Both reads run on nearly every request of a logged-in user, so they are written out in SQL
rather than built by the ORM each time (see config.hotpath)."""
from config import hotpath

from accounts.models import Membership, ProgrammeRole

MANAGER = ProgrammeRole.Role.MANAGER
FINANCE = ProgrammeRole.Role.FINANCE
DONOR = ProgrammeRole.Role.DONOR
REVIEWER = ProgrammeRole.Role.REVIEWER


def _programme_roles_held(pairs) -> dict[str, frozenset[int]]:
    held = {role: set() for role in ProgrammeRole.Role.values}
    for role, programme_id in pairs:
        held[role].add(programme_id)
    return {role: frozenset(ids) for role, ids in held.items()}


def _programme_roles(user) -> dict[str, frozenset[int]]:
    cached = getattr(user, "_hromada_programme_roles", None)
    if cached is None:
        cached = _programme_roles_held(hotpath.values_list(ProgrammeRole, ("role", "programme"), user=user.pk))
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


def roles_select_sql(connection, user_id_sql: str) -> str:
    """Two columns for a SELECT that reads a user (accounts/sessions.py): their memberships and
    their programme roles, each as "id:role,id:role" text that `roles_remember` reads back."""
    quote = connection.ops.quote_name
    columns = []
    for model, id_field in ((Membership, "organisation"), (ProgrammeRole, "programme")):
        meta = model._meta
        pair = f"CAST(r.{quote(meta.get_field(id_field).column)} AS TEXT) || ':' || r.{quote(meta.get_field('role').column)}"
        joined = f"string_agg({pair}, ',')" if connection.vendor == "postgresql" else f"group_concat({pair}, ',')"
        columns.append(f"(SELECT {joined} FROM {quote(meta.db_table)} r "
                       f"WHERE r.{quote(meta.get_field('user').column)} = {user_id_sql})")
    return ", ".join(columns)


def roles_remember(user, memberships: str | None, programme_roles: str | None) -> None:
    """Cache on `user` the roles read by `roles_select_sql`, as `organisation_roles` and
    `programme_ids` would have read them (role values hold no ',' or ':')."""
    pairs = lambda text: [item.split(":", 1) for item in text.split(",")] if text else []  # noqa: E731
    user._hromada_org_roles = {int(org_id): role for org_id, role in pairs(memberships)}
    user._hromada_programme_roles = _programme_roles_held((role, int(programme_id))
                                                          for programme_id, role in pairs(programme_roles))


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
