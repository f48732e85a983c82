"""The finance officer's dashboard section."""
from accounts.roles import FINANCE
from grants.selectors import programme_list_for


def finance_section(user):
    return {"programmes": list(programme_list_for(user, FINANCE))}
