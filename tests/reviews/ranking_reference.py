"""The ranking as it was computed in Python before the database took it over: the reference
that the SQL ranking (applications/review/ranking.py) is compared with, row by row.

`call_score_rows` is the one GROUP BY that fed it (the per-application sums); `assess` and `rank`
apply the rules to those rows in Decimal arithmetic.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import Count, Field, Max, Min, Q, Sum

from applications.models import Application
from applications.review.ranking import (
    PENDING_REVIEW_STATES,
    RANKED_STATES,
    UNDECIDED,
    ZERO,
    Assessment,
    Rubric,
    ScoreRow,
    rubric_from,
)


def assess(
    row: ScoreRow, rubric: list[Rubric], *, overall_threshold: Decimal, divergence_threshold: Decimal
) -> Assessment:
    n = row.submitted
    failures = None
    if n:
        mean_total = row.total_sum / n if row.total_sum is not None else None
        means = [None if total is None else total / n for total in row.criterion_sums]
        for c, mean in zip(rubric, means):
            if mean is not None and mean < c.minimum:
                failures = failures or []
                failures.append(("criterion", c.name, mean, c.minimum, c.eliminatory))
    else:
        mean_total, means = None, [None] * len(rubric)
    divergence = None
    if n >= 2 and row.total_min is not None and row.total_max is not None:
        divergence = row.total_max - row.total_min
    divergent = divergence is not None and divergence > divergence_threshold
    score = row.consensus if row.consensus is not None else mean_total
    if n and score is not None and score < overall_threshold:
        failures = failures or []
        failures.append(("threshold", score, overall_threshold))  # type: ignore[arg-type]
    return Assessment(row, mean_total, score, means, divergence, divergent, bool(n) and not failures, failures)


@dataclass
class Ranking:
    fundable: list[Assessment]
    not_fundable: list[Assessment]
    pending: list[Assessment]  # no submitted review yet, or still under review
    available: Decimal  # envelope minus what is already awarded
    cutoff: int | None  # index in `fundable` of the first row below the line
    within_total: Decimal  # undecided requests above the line

    @property
    def flagged(self) -> list[Assessment]:
        return [a for a in self.fundable + self.not_fundable if a.needs_attention]


def _by_row_id(a: Assessment):
    return a.row.id


def _by_score_then_first_criterion(a: Assessment):
    means = a.criterion_means
    return (a.score, means[0] if means and means[0] is not None else ZERO)


def rank(assessments: list[Assessment], *, available: Decimal) -> Ranking:
    """Order fundable applications and draw the envelope's cut-off line."""
    fundable, not_fundable, pending = [], [], []
    for a in assessments:
        if a.row.state == "under_review" or not a.row.submitted:
            pending.append(a)
        elif a.fundable:
            fundable.append(a)
        else:
            not_fundable.append(a)
    # Earlier application first among equals: sort by id, then (stably, descending) by score
    # and the first criterion's mean.
    for group in (fundable, not_fundable, pending):
        group.sort(key=_by_row_id)
    fundable.sort(key=_by_score_then_first_criterion, reverse=True)
    not_fundable.sort(key=lambda a: a.score if a.score is not None else ZERO, reverse=True)
    running, cutoff, within = ZERO, None, ZERO
    for i, a in enumerate(fundable, start=1):
        a.rank = i
        if a.row.state in UNDECIDED:
            a.counted = True
            running += a.row.requested or ZERO
            a.running_total = running
            if cutoff is None and running > available:
                cutoff = i - 1
            a.within_envelope = cutoff is None
            if a.within_envelope:
                within = running
    return Ranking(
        fundable=fundable,
        not_fundable=not_fundable,
        pending=pending,
        available=available,
        cutoff=cutoff,
        within_total=within,
    )


def ranking_compute(
    rows: list[ScoreRow], rubric: list[Rubric], *, overall_threshold, divergence_threshold, available
) -> Ranking:
    overall_threshold, divergence_threshold = Decimal(overall_threshold), Decimal(divergence_threshold)
    return rank(
        [
            assess(r, rubric, overall_threshold=overall_threshold, divergence_threshold=divergence_threshold)
            for r in rows
        ],
        available=Decimal(available),
    )


def call_score_rows(call, rubric: list[Rubric], application_ids=None, *, titles: bool = False) -> list[ScoreRow]:
    """One GROUP BY over the call's applications, their reviews and scores (no DISTINCT, so the
    database can hash-aggregate).

    A review that has been opened has one score row per criterion (the declaration creates
    them; submission requires them all), so per-review figures (the number of reviews, the sum
    of their weighted totals) are taken from the rows of the first criterion only, and a review
    not opened yet from its single row without scores: joining the scores counts no review twice.
    Titles are left out unless asked for: a page fetches those of the rows it shows.
    """
    # psycopg already returns numeric as Decimal and counts as int: a plain output field spares
    # Django's per-value converters (a third of the time on 10,000 rows). Other databases
    # (SQLite returns floats) keep the converters that make Decimals of them.
    native = connections[Application.objects.db].vendor == "postgresql"
    number = {"output_field": Field()} if native else {}
    first = rubric[0].id if rubric else None
    submitted = Q(reviews__state="submitted")
    once = Q(reviews__scores__criterion_id=first)
    annotations = {
        "n_submitted": Count("reviews__id", filter=submitted & once, **number),  # type: ignore[arg-type]
        "n_pending": Count(
            "reviews__id",
            filter=Q(reviews__state__in=PENDING_REVIEW_STATES) & (once | Q(reviews__scores__id__isnull=True)),
            **number,  # type: ignore[arg-type]
        ),
        "total_sum": Sum("reviews__weighted_total", filter=submitted & once, **number),  # type: ignore[arg-type]
        "total_min": Min("reviews__weighted_total", filter=submitted, **number),  # type: ignore[arg-type]
        "total_max": Max("reviews__weighted_total", filter=submitted, **number),  # type: ignore[arg-type]
    }
    for c in rubric:
        annotations[f"c{c.id}_sum"] = Sum(
            "reviews__scores__score",
            filter=submitted & Q(reviews__scores__criterion_id=c.id),
            **number,  # type: ignore[arg-type]
        )
    annotations["n_withdrawn"] = Count(
        "reviews__id",
        filter=Q(reviews__conflict_late=True) & (once | Q(reviews__scores__id__isnull=True)),
        **number,  # type: ignore[arg-type]
    )
    fields = ["id", "reference", "state", "requested_amount", "awarded_amount", "consensus_score"]
    applications = Application.objects.filter(call_id=call.pk, state__in=RANKED_STATES)
    if application_ids is not None:
        applications = applications.filter(pk__in=application_ids)
    rows = applications.annotate(**annotations).values_list(*fields, *annotations, *(["title"] if titles else []))
    k = len(rubric)
    out = []
    for values in rows.order_by():
        (
            pk,
            reference,
            state,
            requested,
            awarded,
            consensus,
            n_submitted,
            n_pending,
            total_sum,
            total_min,
            total_max,
        ) = values[:11]
        out.append(
            ScoreRow(
                pk,
                reference,
                values[12 + k] if titles else "",
                state,
                requested,
                awarded,
                consensus,
                n_submitted,
                n_pending,
                total_sum,
                total_min,
                total_max,
                values[11 : 11 + k],
                values[11 + k],
            )
        )
    return out


def call_ranking(call) -> tuple[list[Rubric], Ranking]:
    """The reference ranking of a call: every row in Python."""
    rubric = rubric_from(call.criteria.order_by("position"))
    rows = call_score_rows(call, rubric, titles=True)
    return rubric, ranking_compute(
        rows,
        rubric,
        overall_threshold=call.overall_threshold,
        divergence_threshold=call.divergence_threshold,
        available=call.envelope.amount - call.awarded_total,
    )
