"""Who may see an application: the one place this is decided, for pages, API, attachments,
exports, search, counts and PDFs alike.

- members of the applicant organisation;
- managers of the call's programme (and admins);
- a reviewer only while assigned AND after declaring no conflict (review accepted, submitted
  or returned); an unassigned or conflicted reviewer does not see it at all (404).
"""

from functools import reduce
from operator import or_

from django.db.models import Q

from accounts.roles import MANAGER, organisation_roles, programme_ids

# Through the models package (which gathers every model of the app for Django), not
# applications.review: applying sits below review.
from applications.models import Application, Review, ReviewState

REVIEWS_CLEARED_ATTR = "_hromada_reviews_cleared"
CLEARED_REVIEW_STATES = [ReviewState.ACCEPTED, ReviewState.SUBMITTED, ReviewState.RETURNED]


def application_reviews_cleared(user) -> bool:
    """Whether the user has ever been cleared to read an application as a reviewer: read once per
    request and kept on the user, like the roles (`accounts.roles`; `roles_forget` drops it, as
    the declaration of no conflict does)."""
    cached = getattr(user, REVIEWS_CLEARED_ATTR, None)
    if cached is None:
        cached = Review.objects.filter(reviewer=user.pk, state__in=CLEARED_REVIEW_STATES).exists()
        setattr(user, REVIEWS_CLEARED_ATTR, cached)
    return cached


def application_visibility_q(user) -> Q:
    """Only the ways the user actually has of seeing applications, so that each part can use its
    index: an applicant's list is read through the organisation index instead of being checked
    row by row against an OR with every review of the programme."""
    if user.is_superuser:
        return Q()
    ways = []
    # The user's organisations as values (a few; read once per request and cached for the
    # permission checks of the same rows), so the list's filter and its count run the same
    # queries whatever the rows turn out to need.
    if organisations := list(organisation_roles(user)):
        ways.append(Q(organisation_id__in=organisations))
    if managed := programme_ids(user, MANAGER):
        ways.append(Q(call__programme_id__in=managed))
    if application_reviews_cleared(user):
        cleared = Review.objects.filter(reviewer=user, state__in=CLEARED_REVIEW_STATES)
        ways.append(Q(pk__in=cleared.values("application_id")))
    if not ways:
        return Q(pk__in=[])
    return reduce(or_, ways)


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
