"""Dashboard section for applicants."""
from accounts.selectors import organisation_list_visible


def applicant_section(user):
    return {"organisations": list(organisation_list_visible(user).filter(memberships__user=user))}
