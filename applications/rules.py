"""Who may do what with applications (review permissions: applications/review/rules.py)."""

import rules

from applications.visibility import application_can_view, application_is_manager, application_is_member


@rules.predicate
def can_view_application(user, application):
    return application is not None and application_can_view(user, application)


@rules.predicate
def is_applicant_member(user, application):
    return application is not None and application_is_member(user, application)


@rules.predicate
def manages_application(user, application):
    return application is not None and application_is_manager(user, application)


rules.add_perm("applications.view_application", can_view_application)
rules.add_perm("applications.edit_application", is_applicant_member)
rules.add_perm("applications.screen_application", manages_application)
