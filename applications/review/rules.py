"""Who may do what with reviews, rankings and decisions.

Seeing an application is decided in `visibility.py`; these predicates decide what a user who
can see it may *do*. A reviewer acts only on their own review; programme managers (and admins)
assign, return, record consensus and decide for the programmes they manage.
"""

import rules

from accounts.roles import MANAGER, programme_ids
from accounts.rules import is_admin
from applications.models import Application
from applications.review.models import Review
from core import shortcuts


def programme_id_of(obj) -> int | None:
    """The programme of a Programme, Call, Application or Review (None for anything unrelated),
    at most one query, none when the rows on the way are loaded (as in every list). A review
    whose application is not loaded asks for the programme alone rather than loading the
    application and then its call, as the shared `core.shortcuts.programme_id_of` would."""
    if isinstance(obj, Review) and not Review.application.is_cached(obj):
        return Application.objects.values_list("call__programme_id", flat=True).get(pk=obj.application_id)
    return shortcuts.programme_id_of(obj)


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
