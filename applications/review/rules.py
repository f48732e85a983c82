"""Who may do what with reviews, rankings and decisions.

Seeing an application is decided in `visibility.py`; these predicates decide what a user who
can see it may *do*. A reviewer acts only on their own review; programme managers (and admins)
assign, return, record consensus and decide for the programmes they manage.
"""
import rules

from accounts.roles import MANAGER, programme_ids
from accounts.rules import is_admin


def programme_id_of(obj) -> int | None:
    """The programme of a Call, Application, Review or Programme (one query at most)."""
    from grants.calls.models import Call, Programme

    from applications.models import Application
    from applications.review.models import Review

    if obj is None:
        return None
    if isinstance(obj, Programme):
        return obj.pk
    if isinstance(obj, Call):
        return obj.programme_id
    if isinstance(obj, Application):
        if "call" in obj._state.fields_cache:
            return obj.call.programme_id
        return Call.objects.values_list("programme_id", flat=True).get(pk=obj.call_id)
    if isinstance(obj, Review):
        if "application" in obj._state.fields_cache:
            return programme_id_of(obj.application)
        return Application.objects.values_list("call__programme_id", flat=True).get(pk=obj.application_id)
    return None


@rules.predicate
def manages_reviews(user, obj):
    return obj is not None and programme_id_of(obj) in programme_ids(user, MANAGER)


@rules.predicate
def is_own_review(user, review):
    return review is not None and getattr(user, "is_authenticated", False) and review.reviewer_id == user.pk


can_manage = manages_reviews | is_admin

# Reviewer pool of a programme; assignments, progress and returns for a call/application/review.
rules.add_perm("applications.manage_reviewers", can_manage)
rules.add_perm("applications.assign_reviewers", can_manage)
rules.add_perm("applications.return_review", can_manage)
# Ranking, consensus and decisions (award, reserve, reject).
rules.add_perm("applications.view_ranking", can_manage)
rules.add_perm("applications.record_consensus", can_manage)
rules.add_perm("applications.decide_application", can_manage)
# The reviewer's own acts.
rules.add_perm("applications.declare_review", is_own_review)
rules.add_perm("applications.score_review", is_own_review)
