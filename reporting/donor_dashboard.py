"""The donor's dashboard section: programmes they fund."""
from accounts.roles import DONOR
from grants.selectors import programme_list_for


def donor_section(user):
    return {"programmes": list(programme_list_for(user, DONOR))}
