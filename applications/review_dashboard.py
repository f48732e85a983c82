"""Dashboard section for reviewers."""
from accounts.roles import REVIEWER
from grants.selectors import programme_list_for


def reviewer_section(user):
    return {"programmes": list(programme_list_for(user, REVIEWER))}
