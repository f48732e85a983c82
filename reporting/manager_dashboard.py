"""The programme manager's dashboard section: what waits for them."""
from accounts.roles import MANAGER
from grants.selectors import programme_list_for


def manager_section(user):
    return {"programmes": list(programme_list_for(user, MANAGER))}
