"""The ranking read from the assessments stored on the applications (`stored.py`).

A page is a plain query over the call's applications in one group, in the order of the
`application_ranking` index (group, score, first criterion's mean, id): the rank and the running
total of the undecided requests are window functions over the stored columns, and LIMIT/OFFSET
keeps only the page's rows, so the database reads the index up to the page and stops. The
summary counts the groups in one aggregate over the stored columns, and the envelope's cut-off is
the first undecided request whose running total goes over what is left: the same windowed
query, stopped at its first row past the line.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.expressions import RowRange
from django.db.models.functions import Coalesce, Round, RowNumber

from applications.models import Application
from applications.review.ranking.assess import (
    FUNDABLE,
    NOT_FUNDABLE,
    PENDING,
    RANKED_STATES,
    UNDECIDED,
    WHOLE,
    ZERO,
    Assessment,
    Rubric,
    _whole,
    rubric_from,
)
from applications.review.ranking.stored import STORED_ROW, assessments_refresh_stale, stored_assessment
from audit.cache import until_next_change

SUMMARY_REUSE_SECONDS = 600  # at most, for a change the audit trail does not see (an admin edit)
ORDER = [F("ranking_score").desc(), F("ranking_first").desc(), F("id").asc()]


def _counted():
    """An undecided request in cents (what the running total adds up), 0 for any other."""
    return Case(
        When(state__in=UNDECIDED, then=Round(Coalesce("requested_amount", Value(ZERO)) * 100)),
        default=Value(ZERO),
        output_field=WHOLE,
    )


def _group(call, group: int, states=RANKED_STATES):
    return Application.objects.filter(call_id=call.pk, ranking_group=group, state__in=states)


def _windowed(call, group: int):
    """The group in ranking order with `rank` and `running_cents` (window functions)."""
    return (
        _group(call, group)
        .annotate(
            rank=Window(RowNumber(), order_by=ORDER),
            running_cents=Window(Sum(_counted()), order_by=ORDER, frame=RowRange(start=None, end=0)),
        )
        .order_by(*ORDER)
    )


@dataclass
class RankingSummary:
    """The whole call's figures: one aggregate over the stored assessments and the cut-off."""

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
    """Refresh the call's stale assessments (if any), then count the groups (one query) and find
    the cut-off (one query that reads the fundable group only down to the line)."""
    assessments_refresh_stale(call, rubric)
    return _summary(call)


def ranking_summary_current(call, rubric: list[Rubric]) -> RankingSummary:
    """`ranking_summary` for the pages, reused until the next audited change: every review,
    consensus, decision and change of the rules is audited, and the rules' fingerprint, the
    envelope and what is awarded are in the key. Assessments refreshed by the catch-up (rows
    written in bulk, which the audit trail does not see) are counted again at once."""
    fingerprint, refreshed = assessments_refresh_stale(call, rubric)
    key = f"ranking-summary:{call.pk}:{fingerprint}:{call.envelope.amount}:{call.awarded_total}"
    return until_next_change(key, lambda: _summary(call), seconds=SUMMARY_REUSE_SECONDS, fresh=bool(refreshed))


def _summary(call) -> RankingSummary:
    available = call.envelope.amount - call.awarded_total
    left = _whole(available, 2)
    # A handful of rows, one per group and state, read from the ranking index alone (PostgreSQL;
    # naming the groups lets the planner choose that index's prefix)
    rows = (
        Application.objects.filter(
            call_id=call.pk, ranking_group__in=[FUNDABLE, NOT_FUNDABLE, PENDING], state__in=RANKED_STATES
        )
        .values("ranking_group", "state")
        .annotate(
            n=Count("id"),
            flagged=Count("id", filter=Q(reviews_divergent=True, consensus_score__isnull=True)),
            unfinished=Count("id", filter=Q(reviews_pending__gt=0)),
            counted=Sum(_counted()),
        )
        .order_by()
    )
    figures = dict.fromkeys(["fundable", "not_fundable", "pending", "under_review", "flagged"], 0)
    figures |= {"reviewed_flagged": 0, "reviewed_unfinished": 0}
    counted = 0
    for row in rows:
        group, state = row["ranking_group"], row["state"]
        figures[{FUNDABLE: "fundable", NOT_FUNDABLE: "not_fundable", PENDING: "pending"}[group]] += row["n"]
        figures["under_review"] += row["n"] if state == "under_review" else 0
        if group == PENDING:
            continue
        figures["flagged"] += row["flagged"]
        if state == "reviewed":
            figures["reviewed_flagged"] += row["flagged"]
            figures["reviewed_unfinished"] += row["unfinished"]
        if group == FUNDABLE:
            counted += row["counted"] or 0
    cutoff = (
        _windowed(call, FUNDABLE)
        .annotate(own_cents=_counted())
        # the first row past the line adds a request, so it is an undecided one (a filter on the
        # state here would be applied before the window and change the running total)
        .filter(running_cents__gt=left)
        .values("rank", "running_cents", "own_cents")
        .first()
    )
    if cutoff is None:
        within, cutoff_rank = counted, None
    else:
        within, cutoff_rank = cutoff["running_cents"] - cutoff["own_cents"], cutoff["rank"]
    return RankingSummary(
        available=available, within_total=Decimal(within).scaleb(-2), cutoff_rank=cutoff_rank, **figures
    )


def _ranked_assessment(values: dict, rubric, call, cutoff_rank) -> Assessment:
    a = stored_assessment(values, rubric, call)
    if a.group == FUNDABLE:
        a.rank = values["rank"]
        a.counted = a.row.state in UNDECIDED
        if a.counted:
            a.running_total = Decimal(values["running_cents"]).scaleb(-2)
            a.within_envelope = cutoff_rank is None or a.rank < cutoff_rank
    return a


def ranking_rows(call, rubric: list[Rubric], bounds: dict[int, tuple[int, int]], cutoff_rank=None):
    """The rows of one page of each group, `bounds[group] = (after, up to)` in ranks: one query
    per group, each reading the index only down to its page."""
    out: dict[int, list[Assessment]] = {FUNDABLE: [], NOT_FUNDABLE: [], PENDING: []}
    for group, (after, upto) in bounds.items():
        if upto <= after:
            continue
        rows = _windowed(call, group).values(*STORED_ROW, "title", "rank", "running_cents")[after:upto]
        out[group] = [_ranked_assessment(values, rubric, call, cutoff_rank) for values in rows]
    return out


def ranking_ids(call, rubric: list[Rubric], group: int, states) -> list[int]:
    """The ids of one group's applications in these states, in ranking order (no rows loaded)."""
    return list(_group(call, group, states).order_by(*ORDER).values_list("id", flat=True))


def ranking_assessments(call, rubric: list[Rubric], group: int, states) -> list[Assessment]:
    """One group's applications in these states, in ranking order, with their reasons."""
    rows = _group(call, group, states).order_by(*ORDER).values(*STORED_ROW)
    return [stored_assessment(values, rubric, call) for values in rows]


@dataclass
class RankingPage:
    summary: RankingSummary
    fundable: Page  # ranks and running totals; object_list holds this page's Assessments
    not_fundable: Page
    pending: list[Assessment]  # the first ones


def call_ranking(call, criteria=None, *, page=None, npage=None, size: int = 50) -> tuple[list[Rubric], RankingPage]:
    """One page of a call's ranking: its rubric (one query unless given), the summary (stale
    check, counts, cut-off), then the rows of the asked pages of fundable and not fundable
    applications and the first pending ones (one query each)."""
    rubric = rubric_from(criteria if criteria is not None else call.criteria.order_by("position"))
    summary = ranking_summary_current(call, rubric)
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
