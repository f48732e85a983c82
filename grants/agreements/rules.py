"""Who may do what with grants, tranches, payments and exchange rates.

Objects: a Grant, or anything with a `grant` (Tranche, Payment, Amendment); a Call for
`grants.create_grant`. Visibility of lists is the same rule written as a query in
`grants/grant_selectors.py` (`grant_visibility_q`); the two are tested together.
"""

import rules

from accounts.roles import DONOR, FINANCE, MANAGER, organisation_roles, programme_ids
from accounts.rules import is_admin
from grants.agreements.models import Grant


def _grant(obj):

    if obj is None:
        return None
    return obj if isinstance(obj, Grant) else getattr(obj, "grant", None)


def grant_programme_id(obj):
    grant = _grant(obj)
    return grant.call.programme_id if grant is not None else None


@rules.predicate
def is_grantee(user, obj):
    grant = _grant(obj)
    return (
        grant is not None
        and getattr(user, "is_authenticated", False)
        and grant.organisation_id in organisation_roles(user)
    )


@rules.predicate
def manages_grant(user, obj):
    return obj is not None and grant_programme_id(obj) in programme_ids(user, MANAGER)


@rules.predicate
def finances_grant(user, obj):
    return obj is not None and grant_programme_id(obj) in programme_ids(user, FINANCE)


@rules.predicate
def funds_grant(user, obj):
    return obj is not None and grant_programme_id(obj) in programme_ids(user, DONOR)


@rules.predicate
def manages_call_programme(user, call):
    return call is not None and call.programme_id in programme_ids(user, MANAGER)


@rules.predicate
def is_any_finance_officer(user):
    return bool(programme_ids(user, FINANCE))


@rules.predicate
def has_finance_view(user):
    return bool(programme_ids(user, FINANCE, MANAGER, DONOR))


rules.add_perm("grants.view_grant", is_grantee | manages_grant | finances_grant | funds_grant | is_admin)
rules.add_perm("grants.create_grant", manages_call_programme | is_admin)
rules.add_perm("grants.manage_grant", manages_grant | is_admin)
# After signature the grantee (or the manager) changes the budget: within the flexibility
# limit it applies at once, beyond it becomes an amendment the manager decides.
rules.add_perm("grants.change_grant_budget", is_grantee | manages_grant | is_admin)
rules.add_perm("grants.decide_amendment", manages_grant | is_admin)
rules.add_perm("grants.approve_tranche", manages_grant | is_admin)
# Four eyes (the approver never records the payment) is checked by the payment service itself.
rules.add_perm("grants.pay_tranche", finances_grant | is_admin)
rules.add_perm("grants.record_exchange_rate", is_any_finance_officer | is_admin)
rules.add_perm("grants.view_finance", has_finance_view | is_admin)
