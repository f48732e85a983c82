"""The assessment stored on each application, kept up to date by the review services.

Every service that changes what the ranking's rules read (a review assigned, declared, submitted,
returned or withdrawn; a consensus score; the call's thresholds, weights or minimums) calls
`assessments_refresh` inside its transaction, for the applications it touched (or the whole call
when the rules change). The values are computed by the rules' own aggregate (`call_assessed`) and
written set-based: one UPDATE per thousand applications. Each row records the fingerprint of the
rules it was computed under (`assessed_rules`); the ranking refreshes, once and before it reads,
the rows whose fingerprint is missing (rows written in bulk, by imports or benchmark builders) or
is another call's rules than today's, so it cannot show an assessment computed under other rules.
"""

import hashlib
from decimal import Decimal

from django.db import connections
from django.db.models import Q

from applications.models import Application
from applications.review.ranking.assess import (
    FUNDABLE,
    PENDING,
    RANKED_STATES,
    Assessment,
    Rubric,
    ScoreRow,
    _assessment,
    _fields,
    call_assessed,
    rubric_from,
)

KEY = Decimal("1e-20")  # the ordering keys' scale: equal means stay equal, different ones differ
BATCH = 1000
STORED = [
    "assessed_rules",
    "reviews_submitted",
    "reviews_pending",
    "reviews_withdrawn",
    "ranking_group",
    "ranking_score",
    "ranking_first",
    "divergence",
    "reviews_divergent",
    "fundable",
    "assessment",
]


def rules_fingerprint(call, rubric: list[Rubric]) -> str:
    """What the stored assessments depend on besides the reviews: the thresholds and, per
    criterion in the rubric's order, its maximum, weight, minimum and whether it eliminates."""

    def number(value) -> str:  # 12, 12.0 and 12.00 are the same rule
        return str(Decimal(value).normalize())

    rules = [number(call.overall_threshold), number(call.divergence_threshold)]
    rules += [f"{c.id}:{number(c.max_score)}:{number(c.weight)}:{number(c.minimum)}:{c.eliminatory}" for c in rubric]
    return hashlib.sha256("|".join(rules).encode()).hexdigest()[:16]


def _text(value) -> str | None:
    return None if value is None else str(value)


def _stored(a: Assessment, rubric: list[Rubric], fingerprint: str) -> list:
    """The stored columns of one assessment, in the order of STORED."""
    failures: list[list] = []
    criteria = iter(rubric)  # criterion failures come in the rubric's order
    for failure in a.failures or ():
        if failure[0] == "criterion":
            _kind, name, mean, minimum, eliminatory = failure
            criterion = next(c for c in criteria if c.name == name)
            failures.append(["criterion", criterion.id, _text(mean), _text(minimum), eliminatory])
        else:
            failures.append(["threshold", _text(failure[1]), _text(failure[2])])
    pending = a.group == PENDING
    score = Decimal(0) if pending or a.score is None else a.score.quantize(KEY)
    first = a.criterion_means[0] if a.group == FUNDABLE and a.criterion_means else None
    document = {
        "mean_total": _text(a.mean_total),
        "score": _text(a.score),
        "criterion_means": {str(c.id): _text(mean) for c, mean in zip(rubric, a.criterion_means)},
        "failures": failures,
    }
    return [
        fingerprint,
        a.row.submitted,
        a.row.pending,
        a.row.withdrawn,
        a.group,
        score,
        Decimal(0) if first is None else first.quantize(KEY),
        a.divergence,
        a.divergent,
        a.fundable,
        document,
    ]


def _write(rows: list[list], connection, only_stale: str | None) -> None:
    """UPDATE ... FROM a VALUES list (PostgreSQL, and SQLite since 3.33): one statement per batch.
    `only_stale`: the rules' fingerprint, to leave alone a row that a review service refreshed
    meanwhile (the row is then read again under its lock and no longer matches)."""
    table = Application._meta.db_table
    fields = [Application._meta.get_field(name) for name in STORED]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    placeholders = ", ".join(
        [f"CAST(%s AS {connection.data_types['IntegerField']})"]
        + [f"CAST(%s AS {f.db_type(connection)})" for f in fields]
    )
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            values = ", ".join(f"({placeholders})" for _ in batch)
            params = [
                value
                for row in batch
                for value in [row[0]] + [f.get_db_prep_save(v, connection) for f, v in zip(fields, row[1:])]
            ]
            where = f"{qn(table)}.{qn('id')} = v.id"
            if only_stale:
                rules = f"{qn(table)}.{qn('assessed_rules')}"
                where += f" AND ({rules} IS NULL OR {rules} <> %s)"
                params.append(only_stale)
            cursor.execute(
                f"WITH v (id, {columns}) AS (VALUES {values}) UPDATE {qn(table)} SET {assignments} FROM v WHERE {where}",
                params,
            )


def assessments_refresh(
    call, application_ids=None, *, rubric: list[Rubric] | None = None, only_stale: bool = False
) -> int:
    """Compute and store the assessment of these applications of the call (all its ranked ones
    when no ids are given). A review service names its application, inside its transaction: the
    rows are locked first (if the service has not already), so the aggregate that follows reads
    every review committed before, and a concurrent service waits for this one. `only_stale`:
    the ranking's catch-up, which writes only the rows still stale when it writes them. Returns
    how many were computed."""
    if rubric is None:
        rubric = rubric_from(call.criteria.order_by("position"))
    fingerprint = rules_fingerprint(call, rubric)
    if application_ids is not None and not only_stale:
        list(Application.objects.select_for_update().filter(pk__in=application_ids).order_by("pk").values_list("pk"))
    query = call_assessed(call, rubric, application_ids).values(*_fields(rubric))
    rows = [[values["id"], *_stored(_assessment(values, rubric, call), rubric, fingerprint)] for values in query]
    if rows:
        _write(rows, connections[Application.objects.db], fingerprint if only_stale else None)
    return len(rows)


def stale(call, fingerprint: str):
    """The call's ranked applications whose stored assessment is missing or was computed under
    other rules: three range probes of the (call, assessed_rules) index."""
    return Application.objects.filter(call_id=call.pk, state__in=RANKED_STATES).filter(
        Q(assessed_rules__isnull=True) | Q(assessed_rules__lt=fingerprint) | Q(assessed_rules__gt=fingerprint)
    )


def assessments_refresh_stale(call, rubric: list[Rubric]) -> tuple[str, int]:
    """Refresh the call's stale assessments, if any (one query when there are none). Returns the
    rules' fingerprint and how many were refreshed."""
    fingerprint = rules_fingerprint(call, rubric)
    ids = list(stale(call, fingerprint).order_by().values_list("id", flat=True)[:BATCH])
    refreshed = 0
    if ids:
        refreshed = assessments_refresh(call, None if len(ids) >= BATCH else ids, rubric=rubric, only_stale=True)
    return fingerprint, refreshed


def stored_assessment(values: dict, rubric: list[Rubric], call) -> Assessment:
    """An Assessment of a stored row (values of `STORED_ROW`): exact decimals from their strings."""
    document = values["assessment"] or {}

    def number(text):
        return None if text is None else Decimal(text)

    names = {c.id: c.name for c in rubric}
    failures: list[tuple] = []
    for failure in document.get("failures", ()):
        if failure[0] == "criterion":
            _kind, cid, mean, minimum, eliminatory = failure
            failures.append(("criterion", names.get(cid, ""), number(mean), number(minimum), eliminatory))
        else:
            failures.append(("threshold", number(failure[1]), number(failure[2])))
    row = ScoreRow(
        values["id"],
        values["reference"],
        values.get("title", ""),
        values["state"],
        values["requested_amount"],
        values["awarded_amount"],
        values["consensus_score"],
        values["reviews_submitted"],
        values["reviews_pending"],
        withdrawn=values["reviews_withdrawn"],
    )
    means = document.get("criterion_means", {})
    return Assessment(
        row,
        number(document.get("mean_total")),
        number(document.get("score")),
        [number(means.get(str(c.id))) for c in rubric],
        values["divergence"],
        values["reviews_divergent"],
        values["fundable"],
        failures or None,
        group=values["ranking_group"],
    )


STORED_ROW = ["id", "reference", "state", "requested_amount", "awarded_amount", "consensus_score"]
STORED_ROW += ["reviews_submitted", "reviews_pending", "reviews_withdrawn", "ranking_group", "divergence"]
STORED_ROW += ["reviews_divergent", "fundable", "assessment"]
