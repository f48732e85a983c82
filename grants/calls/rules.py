"""Who may do what with programmes and calls."""

import rules

from accounts.roles import DONOR, FINANCE, MANAGER, programme_ids
from accounts.rules import is_admin


def _programme_id(obj):
    return getattr(obj, "programme_id", None) or getattr(obj, "pk", None)


@rules.predicate
def manages_programme(user, obj):
    return obj is not None and _programme_id(obj) in programme_ids(user, MANAGER)


@rules.predicate
def finances_programme(user, obj):
    return obj is not None and _programme_id(obj) in programme_ids(user, FINANCE)


@rules.predicate
def funds_programme(user, obj):
    return obj is not None and _programme_id(obj) in programme_ids(user, DONOR)


rules.add_perm("grants.view_programme", manages_programme | finances_programme | funds_programme | is_admin)
rules.add_perm("grants.manage_programme", manages_programme | is_admin)
rules.add_perm("grants.manage_call", manages_programme | is_admin)
