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
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
HALF = Decimal("0.5")
ZERO = Decimal("0")


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


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
    return [Rubric(id=c.pk, name=str(c), max_score=c.max_score, weight=c.weight, minimum=c.minimum,
                   eliminatory=c.eliminatory) for c in criteria]


def score_is_valid(value, max_score) -> bool:
    """0 to the criterion's maximum, in half points."""
    try:
        value = Decimal(value)
    except Exception:
        return False
    return value.is_finite() and ZERO <= value <= Decimal(max_score) and (value / HALF) == (value / HALF).to_integral_value()


def weighted_total(scores: dict[int, Decimal], rubric: list[Rubric]) -> Decimal:
    """Sum of score x weight over the rubric (missing scores count as 0), rounded to cents."""
    return cents(sum((Decimal(scores.get(c.id) or 0) * c.weight for c in rubric), ZERO))


def max_weighted_total(rubric: list[Rubric]) -> Decimal:
    return cents(sum((c.max_score * c.weight for c in rubric), ZERO))


@dataclass
class ScoreRow:
    """What the aggregate query returns for one application."""

    id: int
    reference: str | None
    title: str
    state: str
    requested: Decimal | None
    awarded: Decimal | None = None
    consensus: Decimal | None = None
    submitted: int = 0            # submitted reviews
    pending: int = 0              # assigned, accepted or returned reviews (not conflicted)
    total_sum: Decimal | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    criterion_sums: dict[int, tuple[Decimal | None, int]] = field(default_factory=dict)  # id -> (sum, count)


@dataclass
class Assessment:
    row: ScoreRow
    mean_total: Decimal | None
    score: Decimal | None
    criterion_means: list[Decimal | None]
    divergence: Decimal | None
    divergent: bool
    fundable: bool
    reasons: list[str]
    rank: int | None = None
    running_total: Decimal | None = None
    within_envelope: bool = False
    counted: bool = False          # undecided: its request is part of the running total

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
    def first_criterion_mean(self) -> Decimal:
        return self.criterion_means[0] if self.criterion_means and self.criterion_means[0] is not None else ZERO


UNDECIDED = ("reviewed", "reserve")


def assess(row: ScoreRow, rubric: list[Rubric], *, overall_threshold: Decimal, divergence_threshold: Decimal) -> Assessment:
    n = row.submitted
    mean_total = (Decimal(row.total_sum) / n) if n and row.total_sum is not None else None
    means = []
    for c in rubric:
        total, count = row.criterion_sums.get(c.id, (None, 0))
        means.append(Decimal(total) / count if count and total is not None else None)
    divergence = None
    if n >= 2 and row.total_min is not None and row.total_max is not None:
        divergence = Decimal(row.total_max) - Decimal(row.total_min)
    divergent = divergence is not None and divergence > Decimal(divergence_threshold)
    score = Decimal(row.consensus) if row.consensus is not None else mean_total
    reasons = []
    if n:
        for c, mean in zip(rubric, means):
            if mean is not None and mean < c.minimum:
                reasons.append((_("%(criterion)s: mean %(mean)s is below the eliminatory minimum %(minimum)s")
                                if c.eliminatory else
                                _("%(criterion)s: mean %(mean)s is below the minimum %(minimum)s"))
                               % {"criterion": c.name, "mean": cents(mean), "minimum": c.minimum})
        if score is not None and score < Decimal(overall_threshold):
            reasons.append(_("Score %(score)s is below the overall threshold %(threshold)s")
                           % {"score": cents(score), "threshold": overall_threshold})
    return Assessment(row=row, mean_total=mean_total, score=score, criterion_means=means, divergence=divergence,
                      divergent=divergent, fundable=bool(n) and not reasons, reasons=reasons)


@dataclass
class Ranking:
    fundable: list[Assessment]
    not_fundable: list[Assessment]
    pending: list[Assessment]      # no submitted review yet, or still under review
    available: Decimal             # envelope minus what is already awarded
    cutoff: int | None             # index in `fundable` of the first row below the line
    within_total: Decimal          # undecided requests above the line

    @property
    def flagged(self) -> list[Assessment]:
        return [a for a in self.fundable + self.not_fundable if a.needs_attention]


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
    fundable.sort(key=lambda a: (-a.score, -a.first_criterion_mean, a.row.id))
    not_fundable.sort(key=lambda a: (-(a.score or ZERO), a.row.id))
    pending.sort(key=lambda a: a.row.id)
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
    return Ranking(fundable=fundable, not_fundable=not_fundable, pending=pending, available=available,
                   cutoff=cutoff, within_total=within)


def ranking_compute(rows: list[ScoreRow], rubric: list[Rubric], *, overall_threshold, divergence_threshold,
                    available) -> Ranking:
    return rank([assess(r, rubric, overall_threshold=overall_threshold, divergence_threshold=divergence_threshold)
                 for r in rows], available=Decimal(available))


# --- the one aggregate query -----------------------------------------------------------------

RANKED_STATES = ["under_review", "reviewed", "awarded", "reserve", "rejected"]
PENDING_REVIEW_STATES = ["assigned", "accepted", "returned"]


def call_score_rows(call, rubric: list[Rubric], application_ids=None) -> list[ScoreRow]:
    """One GROUP BY over the call's applications, their reviews and scores.

    A submitted review has exactly one score per criterion, so the per-review figures (sum of
    weighted totals) are taken from the rows of the first criterion only: joining the scores
    does not count a review more than once.
    """
    from .models import Application

    submitted = Q(reviews__state="submitted")
    first = rubric[0].id if rubric else None
    annotations = {
        "n_submitted": Count("reviews", filter=submitted, distinct=True),
        "n_pending": Count("reviews", filter=Q(reviews__state__in=PENDING_REVIEW_STATES), distinct=True),
        "total_sum": Sum("reviews__weighted_total", filter=submitted & Q(reviews__scores__criterion_id=first)),
        "total_min": Min("reviews__weighted_total", filter=submitted),
        "total_max": Max("reviews__weighted_total", filter=submitted),
    }
    for c in rubric:
        only = submitted & Q(reviews__scores__criterion_id=c.id)
        annotations[f"c{c.id}_sum"] = Sum("reviews__scores__score", filter=only)
        annotations[f"c{c.id}_n"] = Count("reviews__scores__score", filter=only)
    fields = ["id", "reference", "title", "state", "requested_amount", "awarded_amount", "consensus_score"]
    applications = Application.objects.filter(call_id=call.pk, state__in=RANKED_STATES)
    if application_ids is not None:
        applications = applications.filter(pk__in=application_ids)
    rows = (applications
            .annotate(**annotations).values_list(*fields, *annotations).order_by())
    out = []
    for values in rows:
        (pk, reference, title, state, requested, awarded, consensus,
         n_submitted, n_pending, total_sum, total_min, total_max, *per_criterion) = values
        sums = {c.id: (per_criterion[2 * i], per_criterion[2 * i + 1]) for i, c in enumerate(rubric)}
        out.append(ScoreRow(id=pk, reference=reference, title=title, state=state, requested=requested,
                            awarded=awarded, consensus=consensus, submitted=n_submitted, pending=n_pending,
                            total_sum=total_sum, total_min=total_min, total_max=total_max, criterion_sums=sums))
    return out


def call_ranking(call, criteria=None) -> tuple[list[Rubric], Ranking]:
    """The ranking of a call: its rubric (one query unless given) and one aggregate query."""
    rubric = rubric_from(criteria if criteria is not None else call.criteria.order_by("position"))
    rows = call_score_rows(call, rubric)
    available = call.envelope.amount - call.awarded_total
    return rubric, ranking_compute(rows, rubric, overall_threshold=call.overall_threshold,
                                   divergence_threshold=call.divergence_threshold, available=available)
