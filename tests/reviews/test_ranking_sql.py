"""The database's ranking gives exactly what the Python rules give (tests/reviews/ranking_reference.py):
the same groups, order, ranks, scores, means, divergence, reasons, running totals and cut-off line,
page by page, on a call made to hit every rule (divergent, consensus, ties, below a minimum, at
and below the threshold, decided, reserve, pending, late conflicts, amounts with cents) and on a
random call with odd weights. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from applications.models import Application
from applications.review.models import Review, Score
from applications.review.ranking import (
    FUNDABLE,
    NOT_FUNDABLE,
    PENDING,
    call_ranking,
    ranking_ids,
    ranking_rows,
    rubric_from,
    weighted_total,
)
from applications.review.services import application_assessment
from grants.calls.models import Call, CallState
from tests.factories import call_full
from tests.reviews import ranking_reference as reference


@dataclass
class Spec:
    """One application: its state, request, consensus and reviews as (review state, scores, late
    conflict); a review that is only assigned has no scores."""

    state: str = "reviewed"
    requested: str = "20000"
    consensus: str | None = None
    reviews: list = field(default_factory=list)
    awarded: str | None = None


def S(*scores):
    return ("submitted", scores, False)


def build(call, org, user, reviewers, specs):
    criteria = list(call.criteria.order_by("position"))
    rubric = rubric_from(criteria)
    now = timezone.now()
    apps = Application.objects.bulk_create(
        [
            Application(
                call=call,
                organisation=org,
                created_by=user,
                title=f"Case {i} of {call.code}",
                reference=f"{call.code.upper()}-CASE-{i:04d}",
                requested_amount=D(s.requested),
                awarded_amount=D(s.awarded) if s.awarded else None,
                submitted_at=now,
                state=s.state,
                consensus_score=D(s.consensus) if s.consensus else None,
                consensus_justification="Agreed by the panel after discussion." if s.consensus else "",
            )
            for i, s in enumerate(specs)
        ]
    )
    reviews, values = [], []
    for app, spec in zip(apps, specs):
        for reviewer, (state, scores, late) in zip(reviewers, spec.reviews):
            scored = {c.id: D(str(v)) for c, v in zip(rubric, scores)} if scores else None
            reviews.append(
                Review(
                    application=app,
                    reviewer=reviewer,
                    due_at=now + timedelta(days=7),
                    state=state,
                    declared_at=None if state == "assigned" else now,
                    submitted_at=now if state == "submitted" else None,
                    weighted_total=weighted_total(scored, rubric) if scored and state != "accepted" else None,
                    conflict_late=late,
                )
            )
            values.append(scored)
    reviews = Review.objects.bulk_create(reviews)
    Score.objects.bulk_create(
        [
            Score(review=review, criterion=c, score=None if scored is None else scored[c.id])
            for review, scored in zip(reviews, values)
            if review.state != "assigned"
            for c in criteria
        ]
    )
    awarded = sum((D(s.awarded) for s in specs if s.awarded), D("0"))
    Call.objects.filter(pk=call.pk).update(awarded_total=awarded)
    return Call.objects.get(pk=call.pk)


def shown(a):
    """Everything a user sees of one row of the ranking."""
    return (
        a.id,
        a.row.reference,
        a.row.title,
        a.row.state,
        a.row.requested,
        a.row.awarded,
        a.row.consensus,
        a.row.submitted,
        a.row.pending,
        a.row.withdrawn,
        a.score,
        a.mean_total,
        a.criterion_means,
        a.divergence,
        a.divergent,
        a.needs_attention,
        a.fundable,
        a.reasons,
        a.rank,
        a.running_total,
        a.within_envelope,
        a.counted,
    )


def assert_same_ranking(call, size):
    _rubric, expected = reference.call_ranking(call)
    rubric, first = call_ranking(call, size=size)
    summary = first.summary
    assert summary.available == expected.available
    assert (summary.fundable, summary.not_fundable, summary.pending) == (
        len(expected.fundable),
        len(expected.not_fundable),
        len(expected.pending),
    )
    assert summary.cutoff_rank == (None if expected.cutoff is None else expected.cutoff + 1)
    assert summary.within_total == expected.within_total
    assert summary.flagged == len(expected.flagged)
    fundable, not_fundable = [], []
    for number in range(1, max(first.fundable.paginator.num_pages, first.not_fundable.paginator.num_pages) + 1):
        _rubric, page = call_ranking(call, page=number, npage=number, size=size)
        if number <= page.fundable.paginator.num_pages:
            assert page.fundable.number == number
            fundable += page.fundable.object_list
        if number <= page.not_fundable.paginator.num_pages:
            not_fundable += page.not_fundable.object_list
        assert [shown(a) for a in page.pending] == [shown(a) for a in expected.pending[:size]]
    assert [shown(a) for a in fundable] == [shown(a) for a in expected.fundable]
    assert [shown(a) for a in not_fundable] == [shown(a) for a in expected.not_fundable]
    pending = ranking_rows(call, rubric, {PENDING: (0, 10**6)})[PENDING]
    assert [shown(a) for a in pending] == [shown(a) for a in expected.pending]
    # decide-down's order, ids only
    assert ranking_ids(call, rubric, FUNDABLE, ["reviewed"]) == [
        a.id for a in expected.fundable if a.row.state == "reviewed"
    ]
    assert ranking_ids(call, rubric, NOT_FUNDABLE, ["reviewed", "reserve"]) == [
        a.id for a in expected.not_fundable if a.row.state in ("reviewed", "reserve")
    ]
    # the application review page's assessment
    for a in expected.fundable + expected.not_fundable + expected.pending:
        _rubric, one = application_assessment(Application.objects.get(pk=a.id), call)
        assert shown(one)[3:18] == shown(a)[3:18]
    return expected


def test_sql_ranking_matches_the_python_rules_on_every_case(world, make_user, make_org):
    call = world.call
    reviewers = world.reviewers + [make_user(f"extra{i}@experts.org") for i in range(3)]
    owner = world.applicants[0]
    late = ("conflicted", (1, 1, 1), True)
    specs = [
        Spec(reviews=[S(4.5, 3.5, 4), S(3, 3, 3)], requested="40000"),  # 14.25, divergent, no consensus
        Spec(reviews=[S(4.5, 3, 4), S(3, 3, 3)], consensus="12.5", requested="30000.50"),  # divergent, resolved
        Spec(reviews=[S(4, 4, 4), S(4, 4, 4)], consensus="11", requested="25000"),  # consensus below 12
        Spec(reviews=[S(3.5, 3.5, 3.5)], consensus="13.5"),  # 13.5, first criterion 3.5
        Spec(reviews=[S(3.5, 3, 3), S(4, 3, 3)], requested="12345.67"),  # 13.5 too, first criterion 3.75
        Spec(reviews=[S(3.5, 3, 3), S(3.5, 3, 3), S(4, 3, 3)], requested="15000"),  # 40 / 3
        Spec(reviews=[S(3.5, 3, 3), S(3.5, 3, 3), S(4, 3, 3)] * 2, requested="15000"),  # 80 / 6: a tie
        Spec(reviews=[S(3, 3, 3)], requested="10000"),  # exactly the threshold: fundable
        Spec(reviews=[S(3, 3, 2.5)]),  # 11.5 and criterion 3 below its minimum
        Spec(reviews=[S(4.5, 2.5, 5), S(4, 3, 5)]),  # criterion 2 mean 2.75 < 3
        Spec(state="awarded", reviews=[S(5, 5, 5)], requested="30000", awarded="30000"),  # not counted
        Spec(state="rejected", reviews=[S(4, 3, 3)], requested="5000"),  # fundable, decided: not counted
        Spec(state="reserve", reviews=[S(4.5, 4.5, 4.5)], requested="40000"),  # counted
        Spec(state="under_review", reviews=[S(5, 5, 5), ("accepted", None, False)]),  # pending
        Spec(reviews=[("assigned", None, False)]),  # nothing submitted: pending
        Spec(reviews=[S(4, 4, 4), ("returned", (4, 4, 4), False)]),  # one review still to come
        Spec(reviews=[S(4, 4, 4), late], requested="7000"),  # a late conflict withdrawn
        Spec(state="rejected", reviews=[S(2, 2, 2)]),  # not fundable, decided
        Spec(reviews=[S(4, 4, 4)], consensus="16.00", requested="8000"),  # consensus equal to a mean
        Spec(reviews=[S(4.5, 2, 4)], consensus="18"),  # a consensus does not lift a criterion minimum
        Spec(reviews=[S(4.5, 3, 3), S(3, 3, 3)], requested="9000"),  # a spread of exactly 3
        Spec(reviews=[S(5, 4.5, 4.5)], requested="60000"),  # 19: the top
        Spec(reviews=[S(3.5, 3.5, 3)], requested="1000"),  # small, below the line although it would fit
    ]
    call = build(call, world.orgs[0], owner, reviewers, specs)
    expected = assert_same_ranking(call, size=4)
    # the case is what it says: a cut-off with rows below it, ties, every group populated
    assert expected.cutoff is not None and expected.cutoff < len(expected.fundable) - 2
    below = [a for a in expected.fundable[expected.cutoff :] if a.counted]
    assert below and not any(a.within_envelope for a in below)
    assert any(a.row.requested <= expected.available - expected.within_total for a in below)
    assert len(expected.flagged) == 1 and expected.not_fundable and len(expected.pending) == 2
    scores = [a.score for a in expected.fundable]
    assert len(scores) > len(set(scores))  # ties


@pytest.mark.parametrize("seed", [7, 2024])
def test_sql_ranking_matches_the_python_rules_on_a_random_call(programme, make_user, make_org, seed):
    rng = random.Random(seed)
    call = call_full(
        programme,
        code=f"rnd{seed}",
        state=CallState.CLOSED,
        envelope="2000000",
        criteria=((5, "1.5", "2.5"), (5, "0.75", "3"), (10, "1", "0")),
        overall_threshold=D("13.33"),
        divergence_threshold=D("2.25"),
    )
    owner = make_user()
    org = make_org(owner)
    reviewers = [make_user() for _ in range(6)]
    maxima = (5, 5, 10)

    def scores():
        return tuple(rng.randrange(0, 2 * m + 1) / 2 for m in maxima)

    specs = []
    for _ in range(90):
        state = rng.choice(["reviewed"] * 6 + ["reserve", "awarded", "rejected", "under_review"])
        reviews = []
        for _ in range(rng.choice([0, 1, 2, 2, 3, 3, 3, 4, 6])):
            kind = rng.choice(["submitted"] * 8 + ["accepted", "assigned", "returned", "late"])
            if kind == "late":
                reviews.append(("conflicted", scores(), True))
            else:
                reviews.append((kind, scores() if kind in ("submitted", "returned") else None, False))
        requested = D(rng.randrange(1000000, 6000000)) / 100
        specs.append(
            Spec(
                state=state,
                requested=str(requested),
                consensus=str(D(rng.randrange(500, 2500)) / 100) if rng.random() < 0.15 else None,
                reviews=reviews,
                awarded=str(requested) if state == "awarded" else None,
            )
        )
    call = build(call, org, owner, reviewers, specs)
    # an envelope that lasts for half the fundable requests
    _rubric, everything = reference.call_ranking(call)
    counted = sum((a.row.requested for a in everything.fundable if a.counted), D("0"))
    Call.objects.filter(pk=call.pk).update(envelope=call.awarded_total + counted / 2)
    call = Call.objects.get(pk=call.pk)
    expected = assert_same_ranking(call, size=9)
    assert expected.cutoff is not None and expected.fundable and expected.not_fundable and expected.pending
