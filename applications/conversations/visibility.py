"""Who may read and write a thread: the one place this is decided, for pages, the API, the inbox
and exports alike.

- members of the applicant organisation;
- managers of the programme (and admins);
- on a grant's thread, the programme's finance officers too.

Reviewers never see a thread (blind review stays blind): holding a review gives no way in.
"""

from functools import reduce
from operator import or_

from django.db.models import Q

from accounts.roles import FINANCE, MANAGER, organisation_roles, programme_ids
from applications.conversations.models import Thread, ThreadScope


def thread_visibility_q(user) -> Q:
    if user.is_superuser:
        return Q()
    ways = []
    if organisations := list(organisation_roles(user)):
        ways.append(Q(organisation_id__in=organisations))
    if managed := programme_ids(user, MANAGER):
        ways.append(Q(programme_id__in=managed))
    if finance := programme_ids(user, FINANCE):
        ways.append(Q(scope=ThreadScope.GRANT, programme_id__in=finance))
    if not ways:
        return Q(pk__in=[])
    return reduce(or_, ways)


def thread_list_visible(user):
    if not getattr(user, "is_authenticated", False):
        return Thread.objects.none()
    return Thread.objects.filter(thread_visibility_q(user))


def thread_is_member(user, application) -> bool:
    return application.organisation_id in organisation_roles(user)


def thread_is_staff(user, application, scope: str) -> bool:
    """Whether the user speaks for the programme in this thread."""
    if user.is_superuser:
        return True
    programme_id = application.call.programme_id
    if programme_id in programme_ids(user, MANAGER):
        return True
    return scope == ThreadScope.GRANT and programme_id in programme_ids(user, FINANCE)


def thread_can_view(user, application, scope: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if scope == ThreadScope.GRANT and not _has_grant(application):
        return False
    return thread_is_member(user, application) or thread_is_staff(user, application, scope)


def _has_grant(application) -> bool:
    try:
        return application.grant is not None
    except application._meta.get_field("grant").related_model.DoesNotExist:
        return False
