"""A programme with a manager, a reviewer pool, a closed call with a weighted rubric and
eligible applications from organisations in two countries."""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import ProgrammeRole
from accounts.tokens import token_create
from applications.models import ApplicationState
from applications.review.models import Review, ReviewerProfile
from grants.calls.models import CallState
from tests.factories import application_in_state, call_full

COMMENT = "A considered comment that is long enough for the rubric's minimum length of fifty."


@dataclass
class World:
    programme: object
    call: object
    manager: object
    reviewers: list
    applicants: list
    orgs: list
    apps: list = field(default_factory=list)

    @property
    def criteria(self):
        return list(self.call.criteria.order_by("position"))


@pytest.fixture
def world(db, make_user, make_org, programme, grant_role):
    manager = grant_role(make_user("manager@eu4i.org"), programme, ProgrammeRole.Role.MANAGER)
    reviewers = []
    for i, country in enumerate(["AM", "GE", "UA", "MD"], start=1):
        reviewer = grant_role(make_user(f"reviewer{i}@experts.org"), programme, ProgrammeRole.Role.REVIEWER)
        ReviewerProfile.objects.create(user=reviewer, countries=[country], languages=["en"], expertise=["integrity"])
        reviewers.append(reviewer)
    call = call_full(
        programme,
        code="adv",
        state=CallState.CLOSED,
        envelope="100000",
        criteria=((5, 2, 3), (5, 1, 3), (5, 1, 3)),
        overall_threshold=Decimal("12"),
    )
    applicants, orgs, apps = [], [], []
    for i, country in enumerate(["UA", "AM", "GE"], start=1):
        owner = make_user(f"owner{i}@cso.org")
        org = make_org(owner, country=country, legal_name=f"Civic Watch {country}")
        applicants.append(owner)
        orgs.append(org)
        apps.append(
            application_in_state(
                call, org, owner, ApplicationState.ELIGIBLE, requested="40000", title=f"Open budgets in {country}"
            )
        )
    return World(
        programme=programme,
        call=call,
        manager=manager,
        reviewers=reviewers,
        applicants=applicants,
        orgs=orgs,
        apps=apps,
    )


def api_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, days=None)[1]}")
    return client


def full_scores(criteria, values, comment=COMMENT):
    return {c.pk: {"score": Decimal(str(v)), "comment": comment} for c, v in zip(criteria, values)}


def score_and_submit(review, values, recommendation="fund"):
    """The reviewer declares no conflict and submits these scores (one per criterion)."""
    from applications.review.services import review_declare_no_conflict, review_submit

    review = Review.objects.select_related("application__call", "reviewer").get(pk=review.pk)
    if review.state == "assigned":
        review_declare_no_conflict(actor=review.reviewer, review_id=review.pk)
    criteria = list(review.application.call.criteria.order_by("position"))
    return review_submit(
        actor=review.reviewer, review_id=review.pk, scores=full_scores(criteria, values), recommendation=recommendation
    )
