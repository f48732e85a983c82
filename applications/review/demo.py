"""Demo data for this part of the system; called by `manage.py seed_demo`. Must be idempotent.

A reviewer pool of three (the demo reviewer and two colleagues, all with the demo password),
reviewers assigned automatically to whatever eligible applications the applications demo made,
and, for the first of them, the demo reviewer's declaration and a submitted review. With no
eligible application there is nothing to assign and the pool is all that is seeded.
"""

from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.demo import DEMO_PASSWORD
from accounts.models import ProgrammeRole, User
from applications.models import Application, ApplicationState
from applications.review.models import Recommendation, Review, ReviewerProfile, ReviewState
from applications.review.services import review_declare_no_conflict, review_submit, reviews_assign_auto

COLLEAGUES = [
    # email, full name, language, expertise, languages, countries
    (
        "reviewer2@demo.hromada.org",
        "Tamar Gelashvili",
        "en",
        ["open contracting", "public procurement"],
        ["en", "ka", "ru"],
        ["GE"],
    ),
    (
        "reviewer3@demo.hromada.org",
        "Ion Rusu",
        "en",
        ["media freedom", "access to information"],
        ["en", "ro", "ru"],
        ["MD"],
    ),
]

COMMENT = (
    "The proposal addresses a clear need and explains how the results will be measured; "
    "the budget is consistent with the planned activities."
)


def _pool(ctx):
    programme = ctx["programme"]
    reviewer = ctx["users"].get("reviewer")
    if reviewer is not None:
        ReviewerProfile.objects.get_or_create(
            user=reviewer,
            defaults={
                "expertise": ["anti-corruption", "beneficial ownership"],
                "languages": ["hy", "en", "ru"],
                "countries": ["AM"],
            },
        )
    for email, name, language, expertise, languages, countries in COLLEAGUES:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name, language=language)
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        ProgrammeRole.objects.get_or_create(user=user, programme=programme, role=ProgrammeRole.Role.REVIEWER)
        ReviewerProfile.objects.get_or_create(
            user=user, defaults={"expertise": expertise, "languages": languages, "countries": countries}
        )


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
    _pool(ctx)
    manager, reviewer = ctx["users"].get("manager"), ctx["users"].get("reviewer")
    if manager is None or reviewer is None:
        return
    for call in ctx["calls"].values():
        if not Application.objects.filter(call=call, state=ApplicationState.ELIGIBLE).exists():
            continue
        if call.state not in ("closed", "reviewing"):  # an open call is not reviewed yet
            continue
        with transaction.atomic():
            reviews_assign_auto(actor=manager, call_id=call.pk)
    # One finished review by the demo reviewer, so the ranking and the reviewer's page show something.
    review = (
        Review.objects.filter(reviewer=reviewer, application__call__programme=ctx["programme"])
        .select_related("application__call")
        .order_by("pk")
        .first()
    )
    if review is None or Review.objects.filter(reviewer=reviewer, state=ReviewState.SUBMITTED).exists():
        return
    if review.state == ReviewState.ASSIGNED:
        review = review_declare_no_conflict(actor=reviewer, review_id=review.pk)
    if review.state in (ReviewState.ACCEPTED, ReviewState.RETURNED):
        criteria = list(review.application.call.criteria.order_by("position"))
        scores = {
            c.pk: {"score": min(c.max_score, Decimal("4") if i % 2 else Decimal("4.5")), "comment": COMMENT}
            for i, c in enumerate(criteria)
        }
        review_submit(
            actor=reviewer,
            review_id=review.pk,
            scores=scores,
            recommendation=Recommendation.FUND,
            overall_comment="A solid proposal.",
        )
