"""Who may see an application: the one place this is decided, for pages, API, attachments,
exports, search, counts and PDFs alike.

- members of the applicant organisation;
- managers of the call's programme (and admins);
- a reviewer only while assigned AND after declaring no conflict (review accepted, submitted
  or returned); an unassigned or conflicted reviewer does not see it at all (404).
"""

from django.db.models import Q

from accounts.roles import MANAGER, organisation_roles, programme_ids

# Through the models package (which gathers every model of the app for Django), not
# applications.review: applying sits below review.
from applications.models import Application, Review, ReviewState

CLEARED_REVIEW_STATES = [ReviewState.ACCEPTED, ReviewState.SUBMITTED, ReviewState.RETURNED]


def application_visibility_q(user) -> Q:
    if user.is_superuser:
        return Q()
    return (
        # The user's organisations as values (a few; read once per request and cached for the
        # permission checks of the same rows), so the list's filter and its count run the same
        # queries whatever the rows turn out to need.
        Q(organisation_id__in=list(organisation_roles(user)))
        | Q(call__programme_id__in=programme_ids(user, MANAGER))
        | Q(pk__in=Review.objects.filter(reviewer=user, state__in=CLEARED_REVIEW_STATES).values("application_id"))
    )


def application_list_visible(user):
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return Application.objects.filter(application_visibility_q(user))


def application_is_member(user, application) -> bool:
    return application.organisation_id in organisation_roles(user)


def application_is_manager(user, application) -> bool:
    return user.is_superuser or application.call.programme_id in programme_ids(user, MANAGER)


def application_is_cleared_reviewer(user, application) -> bool:
    return Review.objects.filter(application=application, reviewer=user, state__in=CLEARED_REVIEW_STATES).exists()


def application_can_view(user, application) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        application_is_member(user, application)
        or application_is_manager(user, application)
        or application_is_cleared_reviewer(user, application)
    )
