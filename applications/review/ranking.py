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

The database applies them: one GROUP BY with the rules as SQL expressions (`call_assessed`),
window functions for the rank and the running total (`call_ranked`); a page fetches its rows
(`ranking_rows`) and one aggregate over the same query the counts and the cut-off
(`ranking_summary`). Comparisons are made in whole units (`sum x 10 < minimum x 10 x n`, amounts
in cents) so that PostgreSQL's numerics and SQLite's floats agree with Decimal arithmetic.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Field,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RowRange
from django.db.models.functions import Cast, Coalesce, NullIf, Round, RowNumber
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


def _quotient(dividend, divisor, vendor: str):
    """dividend / divisor for ordering, equal means equal: PostgreSQL at a fixed scale (it would
    otherwise depend on the operands), SQLite two whole numbers in floating point."""
    if vendor == "postgresql":
        return Cast(dividend, DecimalField(max_digits=40, decimal_places=20)) / NullIf(divisor, 0)
    return Cast(dividend, FloatField()) / NullIf(divisor, 0)


def call_assessed(call, rubric: list[Rubric], application_ids=None):
    """The call's ranked applications, one row each: one GROUP BY over their reviews and scores
    (no DISTINCT, so the database can hash-aggregate), and the rules as SQL expressions.

    A review that has been opened has one score row per criterion (the declaration creates
    them; submission requires them all), so per-review figures (the number of reviews, the sum
    of their weighted totals) are taken from the rows of the first criterion only, and a review
    not opened yet from its single row without scores: joining the scores counts no review twice.
    Annotations: `grp` (FUNDABLE, NOT_FUNDABLE or PENDING), `fails` and `c<id>_low` (why it is
    not fundable), `divergent`, and the ordering keys `score_key` and `first_key`.
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
    key = DecimalField(max_digits=40, decimal_places=20) if vendor == "postgresql" else FloatField()
    zero = Value(0, output_field=key)
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
            score_key=Case(
                When(consensus__isnull=False, then=Cast("consensus_cents", key)),
                default=_quotient(F("total_cents"), n, vendor),
                output_field=key,
            ),
            first_key=_quotient(F(f"c{first}_tenths"), n, vendor) if rubric else Value(0, output_field=key),
        )
        .annotate(
            # the ordering keys: score (none for pending), the first criterion's mean (fundable only)
            key_score=Case(When(pending, then=zero), default=Coalesce("score_key", zero), output_field=key),
            key_first=Case(When(grp=FUNDABLE, then=Coalesce("first_key", zero)), default=zero, output_field=key),
        )
    )


def _order():
    """The ranking's order within each group: fundable by score, then the first criterion's mean,
    then the earlier application; not fundable by score, then the earlier application; pending
    by application."""
    return [F("key_score").desc(), F("key_first").desc(), F("id").asc()]


def call_ranked(call, rubric: list[Rubric]):
    """`call_assessed` with the ranking's window functions over it: `rank` within the group and
    `running_cents`, the running total in cents of the undecided requests down the group."""
    counted = Case(
        When(state__in=UNDECIDED, then=Round(Coalesce("requested_amount", Value(ZERO)) * 100)),
        default=Value(ZERO),
        output_field=WHOLE,
    )
    return call_assessed(call, rubric).annotate(
        rank=Window(RowNumber(), partition_by=[F("grp")], order_by=_order()),
        running_cents=Window(
            Sum(counted), partition_by=[F("grp")], order_by=_order(), frame=RowRange(start=None, end=0)
        ),
    )


ROW_FIELDS = ["id", "reference", "state", "requested_amount", "awarded_amount", "consensus_score", "n_submitted"]
ROW_FIELDS += ["n_pending", "n_withdrawn", "total_sum", "total_min", "total_max", "below_threshold", "fails"]
ROW_FIELDS += ["divergent", "grp"]


def _fields(rubric: list[Rubric]) -> list[str]:
    return ROW_FIELDS + [f"c{c.id}_sum" for c in rubric] + [f"c{c.id}_low" for c in rubric]


def _assessment(values: dict, rubric: list[Rubric], call, cutoff_rank: int | None = None) -> Assessment:
    """An Assessment of one row of the query: the sums become means for display, the decisions
    (fundable, why not, divergent, rank, running total) are the database's."""
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
    a = Assessment(
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
    if a.group == FUNDABLE and "rank" in values:
        a.rank = values["rank"]
        a.counted = row.state in UNDECIDED
        if a.counted:
            a.running_total = Decimal(values["running_cents"]).scaleb(-2)
            a.within_envelope = cutoff_rank is None or a.rank < cutoff_rank
    return a


def application_assessed(call, rubric: list[Rubric], application_id: int) -> Assessment | None:
    """One application's assessment (no rank: that needs the whole call)."""
    values = call_assessed(call, rubric, application_ids=[application_id]).values(*_fields(rubric)).first()
    return _assessment(values, rubric, call) if values else None


@dataclass
class RankingSummary:
    """The whole call's figures, from one aggregate over the ranking."""

    available: Decimal  # envelope minus what is already awarded
    fundable: int
    not_fundable: int
    pending: int  # no submitted review yet, or still under review
    under_review: int
    flagged: int  # divergent without a consensus (fundable or not)
    cutoff_rank: int | None  # the first fundable rank below the line
    within_total: Decimal  # undecided requests above the line
    reviewed_flagged: int  # undecided ones among the flagged
    reviewed_unfinished: int  # undecided, fundable or not, with reviews not submitted yet


def ranking_summary(call, rubric: list[Rubric]) -> RankingSummary:
    """Counts and the envelope's cut-off (the first undecided request whose running total goes
    over what is left), in one query over the windowed ranking."""
    available = call.envelope.amount - call.awarded_total
    left = _whole(available, 2)
    counted = Q(grp=FUNDABLE, state__in=UNDECIDED)
    ranked = Q(grp__in=[FUNDABLE, NOT_FUNDABLE])
    flagged = ranked & Q(divergent=True, consensus__isnull=True)
    figures = call_ranked(call, rubric).aggregate(
        fundable=Count("id", filter=Q(grp=FUNDABLE)),
        not_fundable=Count("id", filter=Q(grp=NOT_FUNDABLE)),
        pending=Count("id", filter=Q(grp=PENDING)),
        under_review=Count("id", filter=Q(state="under_review")),
        flagged=Count("id", filter=flagged),
        cutoff_rank=Min("rank", filter=counted & Q(running_cents__gt=left)),
        within_cents=Max("running_cents", filter=counted & Q(running_cents__lte=left)),
        reviewed_flagged=Count("id", filter=flagged & Q(state="reviewed")),
        reviewed_unfinished=Count("id", filter=ranked & Q(state="reviewed", n_pending__gt=0)),
    )
    within = figures.pop("within_cents")
    return RankingSummary(available=available, within_total=Decimal(within or 0).scaleb(-2), **figures)


class _PerGroup(Func):
    """`CASE grp WHEN 1 THEN a WHEN 2 THEN b ... ELSE 0 END`: a figure per group, naming the group's
    (long) expression once where Django's searched Case would repeat it for every group."""

    output_field = IntegerField()

    def __init__(self, group, values: dict[int, int]):
        self.values = values
        super().__init__(group)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        whens = " ".join("WHEN %s THEN %s" for _ in self.values)
        pairs = [number for pair in self.values.items() for number in pair]
        return f"CASE {sql} {whens} ELSE 0 END", [*params, *pairs]


def ranking_rows(call, rubric: list[Rubric], bounds: dict[int, tuple[int, int]], cutoff_rank=None):
    """The rows of one page of each group, `bounds[group] = (after, up to)` in ranks, fetched by
    one query: the database ranks the whole call and returns only these rows."""
    lower = _PerGroup(F("grp"), {g: b[0] for g, b in bounds.items()})
    upper = _PerGroup(F("grp"), {g: b[1] for g, b in bounds.items()})
    rows = (
        call_ranked(call, rubric)
        .filter(rank__gt=lower, rank__lte=upper)
        .order_by("grp", "rank")
        .values(*_fields(rubric), "title", "rank", "running_cents")
    )
    out: dict[int, list[Assessment]] = {FUNDABLE: [], NOT_FUNDABLE: [], PENDING: []}
    for values in rows:
        out[values["grp"]].append(_assessment(values, rubric, call, cutoff_rank))
    return out


def ranking_ids(call, rubric: list[Rubric], group: int, states) -> list[int]:
    """The ids of one group's applications in these states, in ranking order (no rows loaded)."""
    return list(_in_group(call, rubric, group, states).values_list("id", flat=True))


def ranking_assessments(call, rubric: list[Rubric], group: int, states) -> list[Assessment]:
    """One group's applications in these states, in ranking order, with their reasons."""
    return [_assessment(v, rubric, call) for v in _in_group(call, rubric, group, states).values(*_fields(rubric))]


def _in_group(call, rubric, group, states):
    return call_assessed(call, rubric).filter(grp=group, state__in=states).order_by(*_order())


@dataclass
class RankingPage:
    summary: RankingSummary
    fundable: Page  # ranks and running totals; object_list holds this page's Assessments
    not_fundable: Page
    pending: list[Assessment]  # the first ones


def call_ranking(call, criteria=None, *, page=None, npage=None, size: int = 50) -> tuple[list[Rubric], RankingPage]:
    """One page of a call's ranking: its rubric (one query unless given), the summary (one
    query), then the rows of the asked pages of fundable and not fundable applications and the
    first pending ones (one query)."""
    rubric = rubric_from(criteria if criteria is not None else call.criteria.order_by("position"))
    summary = ranking_summary(call, rubric)
    fundable = Paginator(range(summary.fundable), size).get_page(page)
    not_fundable = Paginator(range(summary.not_fundable), size).get_page(npage)
    bounds = {
        FUNDABLE: (max(fundable.start_index() - 1, 0), fundable.end_index()),
        NOT_FUNDABLE: (max(not_fundable.start_index() - 1, 0), not_fundable.end_index()),
        PENDING: (0, size),
    }
    rows = ranking_rows(call, rubric, bounds, summary.cutoff_rank)
    fundable.object_list, not_fundable.object_list = rows[FUNDABLE], rows[NOT_FUNDABLE]
    return rubric, RankingPage(summary, fundable, not_fundable, rows[PENDING])
