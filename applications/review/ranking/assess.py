"""Aggregation and ranking of reviewed applications, computed by the database.

The rules (DESIGN.md, EU PRAG / Horizon Europe practice):

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

The database applies them to a few applications (or a whole call) at once: one GROUP BY with the
rules as SQL expressions (`call_assessed`), whose rows become `Assessment`s. The review services
store them on the application (`stored.py`); the ranking reads the stored rows (`pages.py`).
Comparisons are made in whole units (`sum x 10 < minimum x 10 x n`, amounts in cents) so that
PostgreSQL's numerics and SQLite's floats agree with Decimal arithmetic.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Field,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round
from django.utils.translation import gettext as _

from applications.models import Application
from core.money import cents

HALF = Decimal("0.5")
ZERO = Decimal("0")
FUNDABLE, NOT_FUNDABLE, PENDING = 1, 2, 3
UNDECIDED = ("reviewed", "reserve")
RANKED_STATES = ["under_review", "reviewed", "awarded", "reserve", "rejected"]
PENDING_REVIEW_STATES = ["assigned", "accepted", "returned"]
WHOLE = DecimalField(max_digits=20, decimal_places=0)  # a figure in tenths of a point or in cents


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
    """One application as the database assessed it; the means are worked out from its sums for
    display (the decisions were taken in SQL: `fundable`, `failures`, `divergent`, the rank)."""

    row: ScoreRow
    mean_total: Decimal | None
    score: Decimal | None
    criterion_means: list[Decimal | None]
    divergence: Decimal | None
    divergent: bool
    fundable: bool
    # Why it is not fundable, as data; `reasons` puts it in words (only for the rows shown).
    failures: list[tuple] | None
    group: int = PENDING
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


def _whole(value: Decimal, scale: int) -> int:
    """A call's threshold or minimum in whole units (tenths of a point, cents of a total)."""
    return int(Decimal(value).scaleb(scale).to_integral_value())


def call_assessed(call, rubric: list[Rubric], application_ids=None):
    """The call's ranked applications, one row each: one GROUP BY over their reviews and scores
    (no DISTINCT, so the database can hash-aggregate), and the rules as SQL expressions.

    A review that has been opened has one score row per criterion (the declaration creates
    them; submission requires them all), so per-review figures (the number of reviews, the sum
    of their weighted totals) are taken from the rows of the first criterion only, and a review
    not opened yet from its single row without scores: joining the scores counts no review twice.
    Annotations: `grp` (FUNDABLE, NOT_FUNDABLE or PENDING), `fails` and `c<id>_low` (why it is
    not fundable), `divergent`.
    """
    vendor = connections[Application.objects.db].vendor
    # psycopg already returns numeric as Decimal and counts as int: a plain output field spares
    # Django's per-value converters. SQLite (which returns floats) keeps the converters that
    # make Decimals of them, rounded to the field's decimal places.
    number = {"output_field": Field()} if vendor == "postgresql" else {}
    first = rubric[0].id if rubric else None
    submitted = Q(reviews__state="submitted")
    once = Q(reviews__scores__criterion_id=first)
    aggregates = {
        "n_submitted": Count("reviews__id", filter=submitted & once, **number),  # type: ignore[arg-type]
        "n_pending": Count(
            "reviews__id",
            filter=Q(reviews__state__in=PENDING_REVIEW_STATES) & (once | Q(reviews__scores__id__isnull=True)),
            **number,  # type: ignore[arg-type]
        ),
        "n_withdrawn": Count(
            "reviews__id",
            filter=Q(reviews__conflict_late=True) & (once | Q(reviews__scores__id__isnull=True)),
            **number,  # type: ignore[arg-type]
        ),
        "total_sum": Sum("reviews__weighted_total", filter=submitted & once),
        "total_min": Min("reviews__weighted_total", filter=submitted),
        "total_max": Max("reviews__weighted_total", filter=submitted),
        # the application's own column as an aggregate: an expression over a plain column would
        # join the GROUP BY and cost the database its hash aggregation
        "consensus": Max("consensus_score"),
    }
    for c in rubric:
        aggregates[f"c{c.id}_sum"] = Sum(
            "reviews__scores__score", filter=submitted & Q(reviews__scores__criterion_id=c.id)
        )
    applications = Application.objects.filter(call_id=call.pk, state__in=RANKED_STATES)
    if application_ids is not None:
        applications = applications.filter(pk__in=application_ids)
    n = F("n_submitted")
    lows = {f"c{c.id}_low": Q(**{f"c{c.id}_tenths__lt": n * _whole(c.minimum, 1)}) for c in rubric}
    threshold = _whole(call.overall_threshold, 2)
    below_threshold = Q(n_submitted__gt=0) & (
        Q(consensus__isnull=False, consensus_cents__lt=threshold)
        | Q(consensus__isnull=True, total_cents__lt=n * threshold)
    )
    failing = below_threshold
    pending = Q(state="under_review") | Q(n_submitted=0)
    for low in lows.values():
        failing |= low
    return (
        applications.annotate(**aggregates)
        .annotate(
            **{f"c{c.id}_tenths": Round(F(f"c{c.id}_sum") * 10, output_field=WHOLE) for c in rubric},
            total_cents=Round(F("total_sum") * 100, output_field=WHOLE),
            consensus_cents=Round(F("consensus") * 100, output_field=WHOLE),
            spread_cents=Round((F("total_max") - F("total_min")) * 100, output_field=WHOLE),
        )
        .annotate(
            **{name: Case(When(low, then=True), default=False) for name, low in lows.items()},
            below_threshold=Case(When(below_threshold, then=True), default=False),
            fails=Case(When(failing, then=True), default=False),
            divergent=Case(
                When(n_submitted__gte=2, spread_cents__gt=_whole(call.divergence_threshold, 2), then=True),
                default=False,
            ),
            grp=Case(
                When(pending, then=Value(PENDING)),
                When(failing, then=Value(NOT_FUNDABLE)),
                default=Value(FUNDABLE),
            ),
        )
    )


ROW_FIELDS = ["id", "reference", "state", "requested_amount", "awarded_amount", "consensus_score", "n_submitted"]
ROW_FIELDS += ["n_pending", "n_withdrawn", "total_sum", "total_min", "total_max", "below_threshold", "fails"]
ROW_FIELDS += ["divergent", "grp"]


def _fields(rubric: list[Rubric]) -> list[str]:
    return ROW_FIELDS + [f"c{c.id}_sum" for c in rubric] + [f"c{c.id}_low" for c in rubric]


def _assessment(values: dict, rubric: list[Rubric], call) -> Assessment:
    """An Assessment of one row of the query: the sums become means for display, the decisions
    (fundable, why not, divergent, the group) are the database's."""
    n = values["n_submitted"]
    sums = tuple(values[f"c{c.id}_sum"] for c in rubric)
    row = ScoreRow(
        values["id"],
        values["reference"],
        values.get("title", ""),
        values["state"],
        values["requested_amount"],
        values["awarded_amount"],
        values["consensus_score"],
        n,
        values["n_pending"],
        values["total_sum"],
        values["total_min"],
        values["total_max"],
        sums,
        values["n_withdrawn"],
    )
    mean_total = row.total_sum / n if n and row.total_sum is not None else None
    means = [None if not n or total is None else total / n for total in sums]
    divergence = None
    if n >= 2 and row.total_min is not None and row.total_max is not None:
        divergence = row.total_max - row.total_min
    score = row.consensus if row.consensus is not None else mean_total
    failures: list[tuple] = [
        ("criterion", c.name, mean, c.minimum, c.eliminatory)
        for c, mean in zip(rubric, means)
        if values[f"c{c.id}_low"]
    ]
    if values["below_threshold"]:
        failures.append(("threshold", score, call.overall_threshold))
    return Assessment(
        row,
        mean_total,
        score,
        means,
        divergence,
        bool(values["divergent"]),
        bool(n) and not values["fails"],
        failures or None,
        group=values["grp"],
    )


def application_assessed(call, rubric: list[Rubric], application_id: int) -> Assessment | None:
    """One application's assessment (no rank: that needs the whole call)."""
    values = call_assessed(call, rubric, application_ids=[application_id]).values(*_fields(rubric)).first()
    return _assessment(values, rubric, call) if values else None
