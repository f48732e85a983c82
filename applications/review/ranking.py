"""Aggregation and ranking of reviewed applications.

Pure functions over plain rows (`Rubric`, `ScoreRow`), plus `call_score_rows`, the one aggregate
query that feeds them. The rules (DESIGN.md, EU PRAG / Horizon Europe practice):

- a reviewer's weighted total is the sum of score x weight over the criteria;
- an application's score is the mean of its reviewers' weighted totals (submitted reviews only),
  or the consensus score when the manager recorded one;
- divergent when max - min of the weighted totals exceeds the call's divergence threshold;
- not fundable when any criterion's mean is below that criterion's minimum, or the score is
  below the call's overall threshold (criterion minima are checked on the reviewers' means even
  when a consensus score overrides the overall score);
- fundable applications rank by score, ties by the first criterion's mean, then the earlier
  application; a running total of the undecided requests is compared with what is left of the
  envelope, and the first request that does not fit draws the cut-off line (strictly down the
  list: everything below it is below the line).
"""

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import Count, Field, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from applications.models import Application
from core.money import cents

HALF = Decimal("0.5")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Rubric:
    """One criterion, as the aggregation needs it."""

    id: int
    name: str
    max_score: Decimal
    weight: Decimal
    minimum: Decimal = ZERO
    eliminatory: bool = False


def rubric_from(criteria) -> list[Rubric]:
    return [
        Rubric(
            id=c.pk, name=str(c), max_score=c.max_score, weight=c.weight, minimum=c.minimum, eliminatory=c.eliminatory
        )
        for c in criteria
    ]


def score_is_valid(value, max_score) -> bool:
    """0 to the criterion's maximum, in half points."""
    try:
        value = Decimal(value)
    except Exception:
        return False
    return (
        value.is_finite()
        and ZERO <= value <= Decimal(max_score)
        and (value / HALF) == (value / HALF).to_integral_value()
    )


def weighted_total(scores: dict[int, Decimal], rubric: list[Rubric]) -> Decimal:
    """Sum of score x weight over the rubric (missing scores count as 0), rounded to cents."""
    return cents(sum((Decimal(scores.get(c.id) or 0) * c.weight for c in rubric), ZERO))


def max_weighted_total(rubric: list[Rubric]) -> Decimal:
    return cents(sum((c.max_score * c.weight for c in rubric), ZERO))


@dataclass(slots=True)
class ScoreRow:
    """What the aggregate query returns for one application."""

    id: int
    reference: str | None
    title: str
    state: str
    requested: Decimal | None
    awarded: Decimal | None = None
    consensus: Decimal | None = None
    submitted: int = 0  # submitted reviews (each scores every criterion)
    pending: int = 0  # assigned, accepted or returned reviews (not conflicted)
    total_sum: Decimal | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    criterion_sums: tuple = ()  # per criterion, in the rubric's order: the sum of the submitted scores
    withdrawn: int = 0  # reviews whose reviewer found a conflict after reading (scores left out)


@dataclass(slots=True)
class Assessment:
    row: ScoreRow
    mean_total: Decimal | None
    score: Decimal | None
    criterion_means: list[Decimal | None]
    divergence: Decimal | None
    divergent: bool
    fundable: bool
    # Why it is not fundable, as data; `reasons` puts it in words (only for the rows shown).
    failures: list[tuple] | None
    rank: int | None = None
    running_total: Decimal | None = None
    within_envelope: bool = False
    counted: bool = False  # undecided: its request is part of the running total

    @property
    def id(self):
        return self.row.id

    @property
    def consensus(self) -> bool:
        return self.row.consensus is not None

    @property
    def needs_attention(self) -> bool:
        """Divergent and no consensus recorded yet: add a reviewer or record a consensus."""
        return self.divergent and self.row.consensus is None

    @property
    def reasons(self) -> list[str]:
        out = []
        for failure in self.failures or ():
            if failure[0] == "criterion":
                _kind, criterion, mean, minimum, eliminatory = failure
                out.append(
                    (
                        _("%(criterion)s: mean %(mean)s is below the eliminatory minimum %(minimum)s")
                        if eliminatory
                        else _("%(criterion)s: mean %(mean)s is below the minimum %(minimum)s")
                    )
                    % {"criterion": criterion, "mean": cents(mean), "minimum": minimum}
                )
            else:
                _kind, score, threshold = failure
                out.append(
                    _("Score %(score)s is below the overall threshold %(threshold)s")
                    % {"score": cents(score), "threshold": threshold}
                )
        return out


UNDECIDED = ("reviewed", "reserve")


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


# --- the one aggregate query -----------------------------------------------------------------

RANKED_STATES = ["under_review", "reviewed", "awarded", "reserve", "rejected"]
PENDING_REVIEW_STATES = ["assigned", "accepted", "returned"]


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


def ranking_titles(assessments) -> None:
    """Fill in the titles of the rows about to be shown (one query)."""
    rows = [a.row for a in assessments]
    titles = dict(Application.objects.filter(pk__in=[r.id for r in rows]).values_list("id", "title"))
    for r in rows:
        r.title = titles.get(r.id, "")


@contextmanager
def _collector_paused():
    """Building tens of thousands of short-lived rows makes Python's cyclic garbage collector
    walk every object of the process several times (a third of the time at 10,000
    applications); none of these rows forms a cycle, so it waits until they are built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def call_ranking(call, criteria=None) -> tuple[list[Rubric], Ranking]:
    """The ranking of a call: its rubric (one query unless given) and one aggregate query."""
    rubric = rubric_from(criteria if criteria is not None else call.criteria.order_by("position"))
    available = call.envelope.amount - call.awarded_total
    with _collector_paused():
        rows = call_score_rows(call, rubric)
        return rubric, ranking_compute(
            rows,
            rubric,
            overall_threshold=call.overall_threshold,
            divergence_threshold=call.divergence_threshold,
            available=available,
        )
