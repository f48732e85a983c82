"""Aggregation and ranking on hand-computed cases: weights, half points, thresholds, divergence,
ties, consensus override and the envelope's cut-off line, on the Python reference that the
database's ranking is compared with (test_ranking_sql.py)."""

from decimal import Decimal as D

import pytest

from applications.review.ranking import Rubric, ScoreRow, max_weighted_total, score_is_valid, weighted_total
from tests.reviews.ranking_reference import assess, rank, ranking_compute

# Relevance counts double (as in the EU for Integrity advocacy call).
RUBRIC = [
    Rubric(1, "Relevance", D("5"), D("2"), D("3")),
    Rubric(2, "Design", D("5"), D("1"), D("3")),
    Rubric(3, "Capacity", D("5"), D("1"), D("3")),
]


def row(pk, reviews, state="reviewed", requested="40000", consensus=None, pending=0):
    """A ScoreRow from the reviewers' score lists, computed the way the aggregate query does."""
    totals = [weighted_total(dict(zip((1, 2, 3), r)), RUBRIC) for r in reviews]
    sums = tuple(sum((D(str(r[i])) for r in reviews), D("0")) for i in range(len(RUBRIC)))
    return ScoreRow(
        id=pk,
        reference=f"ADV-{pk:04d}",
        title=f"Project {pk}",
        state=state,
        requested=D(requested),
        consensus=None if consensus is None else D(consensus),
        submitted=len(reviews),
        pending=pending,
        total_sum=sum(totals, D("0")) if reviews else None,
        total_min=min(totals) if reviews else None,
        total_max=max(totals) if reviews else None,
        criterion_sums=sums if reviews else (),
    )


def evaluate(r, threshold="12", divergence="3"):
    return assess(r, RUBRIC, overall_threshold=D(threshold), divergence_threshold=D(divergence))


@pytest.mark.parametrize(
    "value,ok",
    [
        ("0", True),
        ("0.5", True),
        ("4.5", True),
        ("5", True),
        ("5.0", True),
        ("4.25", False),
        ("5.5", False),
        ("-0.5", False),
        ("NaN", False),
        ("Infinity", False),
        ("abc", False),
    ],
)
def test_scores_are_half_points_within_the_maximum(value, ok):
    assert score_is_valid(value, D("5")) is ok


def test_weighted_total_is_score_times_weight():
    # 4.5 x 2 + 3.5 x 1 + 4 x 1 = 16.5 out of 20
    assert weighted_total({1: D("4.5"), 2: D("3.5"), 3: D("4")}, RUBRIC) == D("16.50")
    assert max_weighted_total(RUBRIC) == D("20.00")
    # fractional weights: 3.5 x 1.5 + 2.5 x 0.75 = 5.25 + 1.875 = 7.125 -> 7.13 (half up)
    odd = [Rubric(1, "A", D("5"), D("1.5")), Rubric(2, "B", D("5"), D("0.75"))]
    assert weighted_total({1: D("3.5"), 2: D("2.5")}, odd) == D("7.13")
    # a missing score counts as 0
    assert weighted_total({1: D("5")}, RUBRIC) == D("10.00")


def test_mean_of_weighted_totals_per_criterion_means_and_divergence():
    # reviewer A: 4.5, 3.5, 4 -> 16.5; reviewer B: 3, 3, 3 -> 12; mean 14.25; spread 4.5 > 3
    a = evaluate(row(1, [(4.5, 3.5, 4), (3, 3, 3)]))
    assert a.mean_total == D("14.25") and a.score == D("14.25")
    assert a.criterion_means == [D("3.75"), D("3.25"), D("3.5")]
    assert a.divergence == D("4.5") and a.divergent and a.needs_attention
    assert a.fundable and a.reasons == []


def test_divergence_is_strictly_above_the_threshold():
    # 15 and 12: a spread of exactly 3 is not divergent
    a = evaluate(row(1, [(4.5, 3, 3), (3, 3, 3)]))
    assert a.divergence == D("3") and not a.divergent
    # one reviewer: nothing to diverge from
    assert evaluate(row(2, [(5, 5, 5)])).divergence is None


def test_a_criterion_mean_below_its_minimum_makes_it_not_fundable():
    # Design: (2.5 + 3) / 2 = 2.75 < 3, although the mean total (16.5 + 16) / 2 = 16.25 passes 12
    a = evaluate(row(1, [(4.5, 2.5, 5), (4, 3, 5)]))
    assert a.score == D("16.25") and not a.fundable
    assert len(a.reasons) == 1 and "Design" in a.reasons[0] and "2.75" in a.reasons[0] and "3" in a.reasons[0]


def test_the_overall_threshold_is_inclusive():
    lenient = [Rubric(c.id, c.name, c.max_score, c.weight, D("0")) for c in RUBRIC]
    at = assess(row(1, [(3, 3, 3)]), lenient, overall_threshold=D("12"), divergence_threshold=D("3"))
    below = assess(row(2, [(3, 3, 2.5)]), lenient, overall_threshold=D("12"), divergence_threshold=D("3"))
    assert at.score == D("12") and at.fundable
    assert below.score == D("11.5") and not below.fundable and "11.50" in below.reasons[0] and "12" in below.reasons[0]


def test_consensus_overrides_the_mean_in_threshold_and_order():
    # reviewers 4.5, 3, 4 (16) and 3, 3, 3 (12): mean 14, divergent by 4; the panel agrees on 12.5
    divergent = row(1, [(4.5, 3, 4), (3, 3, 3)], consensus="12.5")
    a = evaluate(divergent)
    assert a.mean_total == D("14") and a.score == D("12.5") and a.divergent and not a.needs_attention
    other = row(2, [(3.5, 3, 3), (3.5, 3, 3)])  # 13 each
    ranking = ranking_compute(
        [divergent, other], RUBRIC, overall_threshold=D("12"), divergence_threshold=D("3"), available=D("1000000")
    )
    assert [x.id for x in ranking.fundable] == [2, 1]  # 13 > consensus 12.5, although its mean 14 is higher
    # a consensus below the threshold makes it not fundable
    low = evaluate(row(3, [(4, 4, 4), (4, 4, 4)], consensus="11"))
    assert not low.fundable and "11.00" in low.reasons[0]


def test_ties_go_to_the_first_criterion_then_the_earlier_application():
    # all three score 14: 4,3,3 -> 14; 3.5,3.5,3.5 -> 14; 4,3,3 -> 14 (id 5 after id 4)
    rows = [row(5, [(4, 3, 3)]), row(3, [(3.5, 3.5, 3.5)]), row(4, [(4, 3, 3)])]
    ranking = ranking_compute(rows, RUBRIC, overall_threshold=D("12"), divergence_threshold=D("3"), available=D("1e6"))
    assert [a.score for a in ranking.fundable] == [D("14")] * 3
    assert [a.id for a in ranking.fundable] == [4, 5, 3]
    assert [a.rank for a in ranking.fundable] == [1, 2, 3]


def test_running_total_and_cut_off_line_against_what_is_left_of_the_envelope():
    rows = [
        row(1, [(5, 5, 5)], state="awarded", requested="30000"),  # 20, already awarded: not counted
        row(2, [(5, 4.5, 4.5)], requested="40000"),  # 19
        row(3, [(4.5, 4.5, 4.5)], requested="40000", state="reserve"),  # 18
        row(4, [(4.5, 4, 4)], requested="30000"),  # 17
        row(5, [(4, 4, 4)], requested="10000"),  # 16: would fit, but the line is drawn above
        row(6, [(4, 3, 3)], state="rejected", requested="5000"),  # 14, rejected: not counted
        row(7, [(2, 3, 3)]),  # not fundable
        row(8, [], state="under_review"),  # pending
    ]
    # envelope 120,000, 30,000 awarded: 90,000 left; 40k + 40k = 80k fit, + 30k = 110k does not
    ranking = ranking_compute(
        rows, RUBRIC, overall_threshold=D("12"), divergence_threshold=D("3"), available=D("90000")
    )
    by_id = {a.id: a for a in ranking.fundable}
    assert [a.id for a in ranking.fundable] == [1, 2, 3, 4, 5, 6]
    assert not by_id[1].counted and by_id[1].running_total is None
    assert [by_id[i].running_total for i in (2, 3, 4, 5)] == [D("40000"), D("80000"), D("110000"), D("120000")]
    assert [by_id[i].within_envelope for i in (2, 3, 4, 5)] == [True, True, False, False]
    assert ranking.cutoff == 3 and ranking.fundable[ranking.cutoff].id == 4
    assert ranking.within_total == D("80000")
    assert [a.id for a in ranking.not_fundable] == [7] and [a.id for a in ranking.pending] == [8]


def test_everything_fits_means_no_cut_off():
    rows = [row(1, [(5, 5, 5)]), row(2, [(4, 4, 4)])]
    ranking = rank([evaluate(r) for r in rows], available=D("80000"))
    assert ranking.cutoff is None and all(a.within_envelope for a in ranking.fundable)
    assert ranking.within_total == D("80000")
