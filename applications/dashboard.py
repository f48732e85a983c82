"""Dashboard section for applicants: their organisations, their applications and what waits."""

from accounts.selectors import organisation_list_visible
from applications.models import ApplicationState
from applications.selectors import application_list_mine
from grants.calls.selectors import call_list_public

WAITING = [ApplicationState.DRAFT, ApplicationState.CLARIFICATION_REQUESTED]


def applicant_section(user):
    applications = list(application_list_mine(user)[:20])
    return {
        "organisations": list(organisation_list_visible(user).filter(memberships__user=user)),
        "applications": applications,
        "waiting": [a for a in applications if a.state in WAITING],
        "open_calls": list(call_list_public().filter(state="open")[:5]),
    }
