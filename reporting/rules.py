"""Who may do what with grantee reports, donor reports, exports and imports.

Objects passed to the grantee-report predicates are a GranteeReport (with `grant` loaded) or a
Grant; donor-report predicates take a Programme or a DonorReport. Every answer is computed from
the roles cached on the user (accounts.roles), so a predicate costs no query.
"""

import rules

from accounts.roles import DONOR, FINANCE, MANAGER, organisation_roles, programme_ids
from accounts.rules import is_admin
from core.shortcuts import programme_id_of


def _grant(obj):
    return getattr(obj, "grant", obj)


def _programme_id_of_grant(grant):
    return grant.call.programme_id


@rules.predicate
def is_grantee_member(user, obj):
    return (
        obj is not None
        and getattr(user, "is_authenticated", False)
        and _grant(obj).organisation_id in organisation_roles(user)
    )


@rules.predicate
def manages_grant(user, obj):
    return obj is not None and _programme_id_of_grant(_grant(obj)) in programme_ids(user, MANAGER)


@rules.predicate
def finances_grant(user, obj):
    return obj is not None and _programme_id_of_grant(_grant(obj)) in programme_ids(user, FINANCE)


@rules.predicate
def funds_grant(user, obj):
    return obj is not None and _programme_id_of_grant(_grant(obj)) in programme_ids(user, DONOR)


@rules.predicate
def manages_programme_of(user, obj):
    return obj is not None and programme_id_of(obj) in programme_ids(user, MANAGER)


@rules.predicate
def funds_programme_of(user, obj):
    return obj is not None and programme_id_of(obj) in programme_ids(user, DONOR)


@rules.predicate
def is_any_manager(user):
    return bool(programme_ids(user, MANAGER))


@rules.predicate
def is_any_finance(user):
    return bool(programme_ids(user, FINANCE))


# Grantee reports: the grantee writes, the programme manager decides, finance reads.
rules.add_perm("reporting.view_report", is_grantee_member | manages_grant | finances_grant | is_admin)
rules.add_perm("reporting.edit_report", is_grantee_member)
rules.add_perm("reporting.review_report", manages_grant | is_admin)
# The grant agreement summary: everyone who may see the grant, donors included.
rules.add_perm(
    "reporting.view_grant_summary", is_grantee_member | manages_grant | finances_grant | funds_grant | is_admin
)

# Donor reports and dashboards: the donors of the programme and its managers.
rules.add_perm("reporting.view_donor_report", funds_programme_of | manages_programme_of | is_admin)
rules.add_perm("reporting.request_donor_report", funds_programme_of | manages_programme_of | is_admin)
rules.add_perm("reporting.view_donor_dashboard", funds_programme_of | manages_programme_of | is_admin)

# Imports: organisations and reviewers by programme managers, exchange rates by finance.
rules.add_perm("reporting.import_organisations", is_any_manager | is_admin)
rules.add_perm("reporting.import_reviewers", manages_programme_of | is_admin)
rules.add_perm("reporting.import_reviewers_any", is_any_manager | is_admin)
rules.add_perm("reporting.import_exchange_rates", is_any_finance | is_admin)

# Practices (BePART-style stories): the grantee writes, the programme manager publishes.
rules.add_perm("reporting.write_practice", is_grantee_member)
rules.add_perm("reporting.publish_practice", manages_grant | is_admin)
rules.add_perm("reporting.view_practice", is_grantee_member | manages_grant | is_admin)
