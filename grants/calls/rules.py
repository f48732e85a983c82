"""Who may do what with programmes and calls."""

import rules

from accounts.roles import DONOR, FINANCE, MANAGER, programme_ids
from accounts.rules import is_admin
from core.shortcuts import programme_id_of


@rules.predicate
def manages_programme(user, obj):
    return obj is not None and programme_id_of(obj) in programme_ids(user, MANAGER)


@rules.predicate
def finances_programme(user, obj):
    return obj is not None and programme_id_of(obj) in programme_ids(user, FINANCE)


@rules.predicate
def funds_programme(user, obj):
    return obj is not None and programme_id_of(obj) in programme_ids(user, DONOR)


rules.add_perm("grants.view_programme", manages_programme | finances_programme | funds_programme | is_admin)
rules.add_perm("grants.manage_programme", manages_programme | is_admin)
rules.add_perm("grants.manage_call", manages_programme | is_admin)
