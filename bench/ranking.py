"""Benchmark: the ranking page of a call with 10,000 applications and 30,000 reviews.

A call under review with a three-criterion weighted rubric, 10,000 reviewed applications and
three submitted reviews each (90,000 scores), some divergent, some with a consensus score,
some below a criterion minimum. Timed: a programme manager's request for the ranking page's
first page and for a deep page (the last page of the fundable applications) through the whole
middleware stack, their numbers of queries (the same), the ranking's queries on their own (the
summary: counts and the envelope's cut-off; the page's rows), and the rules' aggregation written
as one raw SQL GROUP BY, timed in the same run. The page reads the assessment stored on each
application (computed here once after the bulk inserts, as the review services keep it), so it
runs no aggregation over the reviews. One figure per line, the headline last. Goals: under 0.5 s
and at most 2x the raw query; run `--quick` and `--size 100000` to compare the first page's
time at 1,000 and 100,000 applications (goal: within 2x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/ranking.py [--quick] [--size N]

Runs in a database of its own (created and dropped here), never in the development data. Rows
are bulk-created with their final states (no transitions: this is benchmark data).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

GOAL_SECONDS = 0.5
GOAL_RATIO = 2.0
REPEAT = 9
RUBRIC = [(5, 2, 3), (5, 1, 3), (5, 1, 3)]  # max score, weight, minimum

RAW_SQL = """
SELECT a.id, a.reference, a.state, a.requested_amount, a.awarded_amount, a.consensus_score,
       COUNT(r.id) FILTER (WHERE r.state = 'submitted' AND s.criterion_id = %(c1)s),
       COUNT(r.id) FILTER (WHERE r.state IN ('assigned', 'accepted', 'returned')
                           AND (s.criterion_id = %(c1)s OR s.id IS NULL)),
       SUM(r.weighted_total) FILTER (WHERE r.state = 'submitted' AND s.criterion_id = %(c1)s),
       MIN(r.weighted_total) FILTER (WHERE r.state = 'submitted'),
       MAX(r.weighted_total) FILTER (WHERE r.state = 'submitted'),
       SUM(s.score) FILTER (WHERE r.state = 'submitted' AND s.criterion_id = %(c1)s),
       SUM(s.score) FILTER (WHERE r.state = 'submitted' AND s.criterion_id = %(c2)s),
       SUM(s.score) FILTER (WHERE r.state = 'submitted' AND s.criterion_id = %(c3)s)
  FROM applications_application a
  LEFT JOIN applications_review r ON r.application_id = a.id
  LEFT JOIN applications_score s ON s.review_id = r.id
 WHERE a.call_id = %(call)s
   AND a.state IN ('under_review', 'reviewed', 'awarded', 'reserve', 'rejected')
 GROUP BY a.id
"""


def build(n_apps: int, reviews_per_app: int = 3):
    from djmoney.money import Money

    from accounts.models import Organisation, ProgrammeRole, User
    from applications.models import Application
    from applications.review.models import Review, Score
    from applications.review.ranking import rubric_from, weighted_total
    from grants.calls.models import Call, Criterion, Programme

    rng = random.Random(11)
    now = timezone_now()
    programme = Programme.objects.create(
        code="bench",
        title="EU for Integrity (benchmark)",
        budget=Money(Decimal(n_apps * 10000), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2030, 8, 30),
        countries=["AM", "GE", "MD", "UA"],
    )
    call = Call(
        programme=programme,
        code="adv-bench",
        title="Advocacy grants for integrity reforms",
        envelope=Money(Decimal(n_apps * 10000), "EUR"),
        min_grant=Decimal("10000"),
        max_grant=Decimal("60000"),
        opens_at=now - timedelta(days=90),
        deadline=now - timedelta(days=30),
        overall_threshold=Decimal("12"),
        divergence_threshold=Decimal("3"),
    )
    for name in ("publish", "open", "close", "start_review"):
        getattr(call, name)()
    call.save()
    criteria = [
        Criterion.objects.create(
            call=call, position=i, name=f"Criterion {i}", max_score=Decimal(m), weight=Decimal(w), minimum=Decimal(mn)
        )
        for i, (m, w, mn) in enumerate(RUBRIC, start=1)
    ]
    rubric = rubric_from(criteria)
    manager = User.objects.create_user(email="bench-manager@example.org", password="x" * 12, full_name="Bench Manager")
    ProgrammeRole.objects.create(user=manager, programme=programme, role=ProgrammeRole.Role.MANAGER)
    n_reviewers = max(reviews_per_app, n_apps // 30)
    reviewers = User.objects.bulk_create(
        [
            User(email=f"reviewer{i}@bench.example.org", password="!", full_name=f"Reviewer {i}")
            for i in range(n_reviewers)
        ],
        batch_size=2000,
    )
    ProgrammeRole.objects.bulk_create(
        [ProgrammeRole(user=r, programme=programme, role=ProgrammeRole.Role.REVIEWER) for r in reviewers],
        batch_size=2000,
    )
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                legal_name=f"Civic organisation {i}",
                country=["UA", "AM", "GE", "MD"][i % 4],
                org_type="ngo",
                registration_id=f"UA-EDR-{50000000 + i}",
            )
            for i in range(max(1, n_apps // 5))
        ],
        batch_size=2000,
    )
    apps = Application.objects.bulk_create(
        [
            Application(
                call=call,
                organisation=orgs[i % len(orgs)],
                created_by=manager,
                title=f"Integrity project {i}",
                summary="What we will do and why.",
                reference=f"ADV-{i + 1:05d}",
                requested_amount=Decimal(rng.randrange(10, 61) * 1000),
                duration_months=12,
                submitted_at=now,
                state="reviewed",
                consensus_score=Decimal(rng.randrange(24, 40)) / 2 if i % 50 == 0 else None,
                consensus_justification="Panel consensus." if i % 50 == 0 else "",
            )
            for i in range(n_apps)
        ],
        batch_size=2000,
    )
    reviews, score_rows = [], []
    for i, app in enumerate(apps):
        base = rng.randrange(4, 10) / 2  # the application's quality, 2 to 4.5
        for j in range(reviews_per_app):
            values = {
                c.id: Decimal(str(min(5.0, max(0.0, base + rng.choice((-1, -0.5, 0, 0, 0.5, 1)))))) for c in rubric
            }
            reviewer = reviewers[(i * reviews_per_app + j) % n_reviewers]
            reviews.append(
                Review(
                    application=app,
                    reviewer=reviewer,
                    due_at=now,
                    declared_at=now,
                    submitted_at=now,
                    state="submitted",
                    recommendation="fund",
                    weighted_total=weighted_total(values, rubric),
                )
            )
            score_rows.append(values)
    reviews = Review.objects.bulk_create(reviews, batch_size=5000)
    Score.objects.bulk_create(
        [
            Score(review=review, criterion_id=cid, score=value, comment="A comment long enough.")
            for review, values in zip(reviews, score_rows)
            for cid, value in values.items()
        ],
        batch_size=10000,
    )
    # The rows were written in bulk, past the review services: store their assessments as the
    # services would have (the ranking would otherwise do it on its first request).
    from applications.review.ranking import assessments_refresh

    started = time.perf_counter()
    assessments_refresh(call)
    print(f"stored assessments computed for the whole call: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table at rest
    return call, manager, criteria, len(reviews)


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def timed(fn, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 applications and 3,000 reviews")
    parser.add_argument("--size", "--applications", type=int, default=None, dest="size", help="applications")
    args = parser.parse_args()
    n = args.size or (1000 if args.quick else 10000)
    if connection.vendor != "postgresql":
        sys.exit("bench/ranking.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    settings.DEBUG = False
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = False
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "hromada_bench_ranking"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from django.test import Client
        from django.urls import reverse

        from applications.review.ranking import (
            FUNDABLE,
            NOT_FUNDABLE,
            PENDING,
            ranking_rows,
            ranking_summary,
            rubric_from,
        )
        from applications.review.views.selection import RANKING_PAGE_SIZE

        started = time.perf_counter()
        call, manager, criteria, n_reviews = build(n)
        build_seconds = time.perf_counter() - started
        client = Client()
        client.force_login(manager)
        url = reverse("reviews:review_ranking", args=[call.pk])
        rubric = rubric_from(criteria)
        summary = ranking_summary(call, rubric)
        last = max(1, -(-summary.fundable // RANKING_PAGE_SIZE))

        def page(number=1):
            response = client.get(url, {"page": number})
            assert response.status_code == 200, response.status_code
            return response

        html = page().content.decode()  # warm-up: templates, query plans, session
        assert "Integrity project" in html and "Running total" in html, "the page does not show the ranking"
        assert f"Page {last} of {last}" in page(last).content.decode() or last == 1
        counts = []
        for number in (1, last):
            with CaptureQueriesContext(connection) as ctx:
                page(number)
            counts.append(len(ctx.captured_queries))
        page_median, page_best = timed(page)
        deep_median, deep_best = timed(lambda: page(last))

        params = {"call": call.pk, "c1": criteria[0].pk, "c2": criteria[1].pk, "c3": criteria[2].pk}

        def raw():
            with connection.cursor() as cursor:
                cursor.execute(RAW_SQL, params)
                return cursor.fetchall()

        assert len(raw()) == n
        raw_median, raw_best = timed(raw)
        summary_median, _ = timed(lambda: ranking_summary(call, rubric))
        bounds = {
            FUNDABLE: (0, RANKING_PAGE_SIZE),
            NOT_FUNDABLE: (0, RANKING_PAGE_SIZE),
            PENDING: (0, RANKING_PAGE_SIZE),
        }
        rows_median, _ = timed(lambda: ranking_rows(call, rubric, bounds, summary.cutoff_rank))

        ratio = page_best / raw_best
        print(f"database: {connection.vendor}")
        print(f"applications: {n}")
        print(f"reviews: {n_reviews}")
        print(f"scores: {n_reviews * len(criteria)}")
        print(
            f"fundable / not fundable / divergent without consensus: "
            f"{summary.fundable} / {summary.not_fundable} / {summary.flagged}"
        )
        print(f"cut-off line above rank: {summary.cutoff_rank}")
        print(f"build (bulk_create): {build_seconds:.1f} s")
        print(f"summary query (counts and cut-off): {summary_median * 1000:.0f} ms (median)")
        print(f"rows query (one page of each list): {rows_median * 1000:.0f} ms (median)")
        print(f"raw SQL GROUP BY: {raw_best * 1000:.0f} ms best of {REPEAT}, {raw_median * 1000:.0f} ms median")
        print(f"ranking page queries (first page, page {last}): {counts[0]}, {counts[1]}")
        print(
            f"ranking page, first page: {page_best * 1000:.0f} ms best of {REPEAT}, {page_median * 1000:.0f} ms median"
        )
        print(
            f"ranking page, page {last} of {last}: {deep_best * 1000:.0f} ms best of {REPEAT}, "
            f"{deep_median * 1000:.0f} ms median"
        )
        print(f"ratio to the raw GROUP BY (medians): {page_median / raw_median:.2f}x")
        print(f"ratio to the raw GROUP BY (best of {REPEAT}): {ratio:.2f}x")
        met = page_best < GOAL_SECONDS and ratio <= GOAL_RATIO
        verdict = ("met" if met else "NOT met") if n >= 10000 else "judged on the full run (10,000 applications)"
        print(
            f"ranking page of {n:,} applications and {n_reviews:,} reviews: first page {page_median * 1000:.0f} ms, "
            f"page {last} {deep_median * 1000:.0f} ms (medians of {REPEAT}) in {counts[0]} queries; best "
            f"{page_best:.3f} s, {ratio:.2f}x the raw SQL GROUP BY ({raw_best:.3f} s, same run); "
            f"goals < {GOAL_SECONDS} s and <= {GOAL_RATIO}x: {verdict}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


if __name__ == "__main__":
    main()
