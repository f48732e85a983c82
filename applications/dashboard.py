"""Dashboard sections for applicants and reviewers."""
from accounts.selectors import organisation_list_visible
from accounts.roles import REVIEWER
from grants.selectors import programme_list_for


def applicant_section(user):
    return {"organisations": list(organisation_list_visible(user).filter(memberships__user=user))}


def reviewer_section(user):
    return {"programmes": list(programme_list_for(user, REVIEWER))}
