"""Benchmark: import 10,000 organisations the way a programme manager does, on PostgreSQL.

The user's path is timed end to end: `reporting.data.imports.import_preview` (the uploaded CSV read,
every row checked, the preview with its row-level errors built, nothing saved) then
`import_confirm` (the same file imported for real: checked again, saved, one audit event).
The limit is a plain `bulk_create` of the same 10,000 rows, timed in the same run; the goal is
at least 0.25x its speed. Both are timed three times, alternately, and the best time of each
counts. Also timed: the preview of a file where 1 row in 100 has an error.
One figure per line, the headline last.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/import.py [--quick]

Runs in a database of its own (created and dropped here), never in the development data.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

GOAL_RATIO = 0.25
ROUNDS = 3
NAMES = [
    "Центр протидії корупції",
    "Հակակոռուպցիոն կենտրոն",
    "Transparency International Georgia",
    "Centrul de Investigații Jurnalistice",
    "Economic Research Center",
]


def rows(n: int, broken_every: int = 0) -> list[list[str]]:
    out = []
    for i in range(n):
        kind = i % 5
        country = ["UA", "AM", "GE", "MD", "AZ"][kind]
        reg = {
            "UA": f"UA-EDR-{30000000 + i}",
            "AM": f"AM-SRALE-{200 + i % 700}.110.{10000 + i}",
            "GE": f"GE-NAPR-{200000000 + i}",
            "MD": f"MD-IDNO-{1003600000000 + i}",
            "AZ": f"AZ-IVI-{1400000000 + i}",
        }[country]
        if broken_every and i % broken_every == 0:
            reg = reg[:-3]  # too short for its registry: a row error
        out.append([f"{NAMES[kind]} {i}", country, "ngo", reg, f"https://cso{i}.example.org" if i % 3 == 0 else ""])
    return out


def to_csv(data) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["legal_name", "country", "org_type", "registration_id", "website"])
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 organisations")
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    n = args.rows or (1000 if args.quick else 10000)
    settings.PRIVATE_STORAGE_ROOT = Path(tempfile.mkdtemp(prefix="hromada-bench-"))
    settings.DEBUG = False  # as in production: no query log (it would slow both sides)
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        "hromada_bench_import" if connection.vendor == "postgresql" else ":memory:"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from datetime import date
        from decimal import Decimal

        from djmoney.money import Money

        from accounts.models import Organisation, ProgrammeRole, User
        from grants.calls.models import Programme
        from reporting.data import imports

        programme = Programme.objects.create(
            code="bench",
            title="Bench",
            budget=Money(Decimal("1000"), "EUR"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 1, 1),
        )
        manager = User.objects.create_user(email="bench-manager@example.org", password="x" * 12)
        ProgrammeRole.objects.create(user=manager, programme=programme, role=ProgrammeRole.Role.MANAGER)
        data = rows(n)
        clean = to_csv(data)
        broken = to_csv(rows(n, broken_every=100))

        # warm-up (imports, query plans), then a clean table
        token, _result = imports.import_preview(
            actor=manager, kind="organisations", content=to_csv(rows(200)), filename="w.csv"
        )
        imports.import_confirm(actor=manager, token=token)
        Organisation.objects.all().delete()

        # Each side is timed ROUNDS times, alternately, the table emptied in between; the best
        # time of each counts (the machine's other work only ever adds time).
        bulk_times, user_times, preview_times = [], [], []
        for _round in range(ROUNDS):
            # the limit: a plain bulk_create of the same rows
            objects = [
                Organisation(legal_name=r[0], country=r[1], org_type=r[2], registration_id=r[3], website=r[4])
                for r in data
            ]
            started = time.perf_counter()
            Organisation.objects.bulk_create(objects, batch_size=2000)
            bulk_times.append(time.perf_counter() - started)
            Organisation.objects.all().delete()

            # the user's path: preview (row errors), then confirm
            started = time.perf_counter()
            token, preview = imports.import_preview(
                actor=manager, kind="organisations", content=clean, filename="orgs.csv"
            )
            preview_times.append(time.perf_counter() - started)
            result = imports.import_confirm(actor=manager, token=token)
            user_times.append(time.perf_counter() - started)
            assert not result.has_validation_errors() and Organisation.objects.count() == n, imports.import_errors(
                result
            )[:3]
            Organisation.objects.all().delete()
        bulk_seconds, total_seconds, preview_seconds = min(bulk_times), min(user_times), min(preview_times)

        # a preview that finds errors (1 row in 100)
        started = time.perf_counter()
        _token, with_errors = imports.import_preview(
            actor=manager, kind="organisations", content=broken, filename="b.csv"
        )
        errors_seconds = time.perf_counter() - started
        invalid = imports.import_summary(with_errors)["invalid"]

        bulk_rate = n / bulk_seconds
        user_rate = n / total_seconds
        ratio = user_rate / bulk_rate
        print(f"database: {connection.vendor}")
        print(f"rows: {n}")
        print(f"rounds: {ROUNDS} (best time of each side)")
        print(f"bulk_create: {bulk_seconds:.3f} s ({bulk_rate:,.0f} rows/s)")
        print(f"preview (checked, nothing saved): {preview_seconds:.3f} s ({n / preview_seconds:,.0f} rows/s)")
        print(
            f"preview of a file with {invalid} rows in error: {errors_seconds:.3f} s ({n / errors_seconds:,.0f} rows/s)"
        )
        print(f"preview + confirm (the user's import): {total_seconds:.3f} s ({user_rate:,.0f} rows/s)")
        print(
            f"import: {user_rate:,.0f} rows/s through preview and confirm = {ratio:.2f}x bulk_create "
            f"({bulk_rate:,.0f} rows/s, same run; goal >= {GOAL_RATIO}x: {'met' if ratio >= GOAL_RATIO else 'NOT met'})"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


if __name__ == "__main__":
    main()
