"""Who may do what with organisations. The one place these answers are decided."""

import rules

from accounts.roles import MANAGER, organisation_roles, programme_ids


@rules.predicate
def is_admin(user):
    return bool(getattr(user, "is_superuser", False))


@rules.predicate
def is_org_member(user, organisation):
    return (
        getattr(user, "is_authenticated", False)
        and organisation is not None
        and organisation.pk in organisation_roles(user)
    )


@rules.predicate
def is_org_owner(user, organisation):
    return (
        getattr(user, "is_authenticated", False)
        and organisation is not None
        and organisation_roles(user).get(organisation.pk) == "owner"
    )


@rules.predicate
def is_any_programme_manager(user):
    return bool(programme_ids(user, MANAGER))


rules.add_perm("accounts.view_organisation", is_org_member | is_any_programme_manager | is_admin)
rules.add_perm("accounts.change_organisation", is_org_owner | is_admin)
rules.add_perm("accounts.invite_member", is_org_owner | is_admin)
