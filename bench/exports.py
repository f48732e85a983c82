"""Benchmark: the memory of a 100,000-row export, CSV streamed and XLSX built by the worker.

One call with 100,000 submitted applications (`--quick`: 10,000) and a small call of 20 for the
warm-up. Each export runs in a fresh process of its own, so that one's memory cannot hide in the
other's: the process sets Django up, signs the manager in and runs the small call's export once
(every module and template loaded, as in a web or worker process that has served a request), then
its resident memory is "idle"; the kernel's high-water mark of resident memory (VmHWM, reset to
idle through /proc/self/clear_refs where the kernel allows it) is read after the big export.

- CSV: GET /reporting/exports/applications.csv through the test client (the whole middleware
  stack), the streamed response consumed piece by piece as a WSGI server would send it.
- XLSX: the background job (`reporting.data.jobs.export_job_run`, what the Celery task calls) run
  in-process: rows from a chunked cursor into a write-only workbook in a temporary file.
- For comparison, the same CSV built whole in memory (`export_render`: one buffer, then its bytes).

Prints idle RSS, peak RSS above idle and rows/s of each, one figure per line, the headline last:
`exports: csv +N MB, xlsx +M MB at R rows (limit +50 MB)`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/exports.py [--quick]

Runs in a database of its own (created and dropped here), never in the development data. Rows
are bulk-created with their final states (no transitions: this is benchmark data).
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

DB_NAME = "hromada_bench_exports"
LIMIT_MB = 50
WARM_UP_ROWS = 20
MODES = ("csv", "xlsx", "csv-in-memory")


# --- memory of this process -------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    """Reset the high-water mark to the current resident memory (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


# --- the data ----------------------------------------------------------------------------------------


def build(n_apps: int):
    from djmoney.money import Money

    from accounts.models import Organisation, ProgrammeRole, User
    from applications.models import Application
    from grants.calls.models import Call, Programme

    now = timezone_now()
    programme = Programme.objects.create(
        code="bench",
        title="EU for Integrity (benchmark)",
        budget=Money(Decimal(n_apps * 10000), "EUR"),
        starts_on=now.date() - timedelta(days=400),
        ends_on=now.date() + timedelta(days=1500),
        countries=["AM", "GE", "MD", "UA"],
    )
    calls = []
    for code in ("big", "small"):
        call = Call(
            programme=programme,
            code=code,
            title=f"Advocacy grants ({code})",
            envelope=Money(Decimal(n_apps * 10000), "EUR"),
            min_grant=Decimal("10000"),
            max_grant=Decimal("60000"),
            opens_at=now - timedelta(days=90),
            deadline=now - timedelta(days=30),
        )
        for name in ("publish", "open", "close"):
            getattr(call, name)()
        call.save()
        calls.append(call)
    manager = User.objects.create_user(email="bench-manager@example.org", password="x" * 12, full_name="Bench Manager")
    ProgrammeRole.objects.create(user=manager, programme=programme, role=ProgrammeRole.Role.MANAGER)
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                legal_name=f"Громадська організація «Прозорість» {i}",
                country=["UA", "AM", "GE", "MD"][i % 4],
                org_type="ngo",
                registration_id=f"UA-EDR-{50000000 + i}",
            )
            for i in range(max(1, n_apps // 5))
        ],
        batch_size=2000,
    )
    for call, count in ((calls[0], n_apps), (calls[1], WARM_UP_ROWS)):
        Application.objects.bulk_create(
            [
                Application(
                    call=call,
                    organisation=orgs[i % len(orgs)],
                    created_by=manager,
                    title=f"=Integrity project {i}" if i % 100 == 0 else f"Integrity project {i}: open procurement",
                    summary="What we will do and why.",
                    reference=f"{call.code.upper()}-{i + 1:06d}",
                    requested_amount=Decimal(10000 + (i * 37) % 50000) + Decimal("0.50"),
                    cofinancing_amount=Decimal("2500"),
                    duration_months=12 + i % 12,
                    submitted_at=now - timedelta(minutes=i),
                    state="submitted",
                )
                for i in range(count)
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return calls[0], calls[1], manager


def timezone_now():
    from django.utils import timezone

    return timezone.now()


# --- one export in a process of its own -----------------------------------------------------------


def child(mode: str, database: str, big_call: int, small_call: int, manager_id: int) -> None:
    settings.DATABASES["default"]["NAME"] = database  # before the first connection
    settings.DEBUG = False
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = False
    settings.HROMADA_EXPORT_BACKGROUND_ROWS = 10**9  # the CSV streams in the request, whatever its size
    settings.PRIVATE_STORAGE_ROOT = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from reporting.data import exports, jobs
    from reporting.data.models import ExportJob

    manager = User.objects.get(pk=manager_id)
    client = Client()
    client.force_login(manager)
    url = reverse("data:export_download", args=["applications", "csv"])

    def stream(call_id: int) -> tuple[int, int]:
        response = client.get(url, {"call": call_id})
        assert response.status_code == 200 and response.streaming, response.status_code
        size = lines = 0
        for piece in response.streaming_content:  # as a WSGI server sends it
            size += len(piece)
            lines += piece.count(b"\r\n")
        response.close()
        return lines - 1, size

    def job(call_id: int) -> tuple[int, int]:
        record = ExportJob.objects.create(
            user=manager, kind="applications", file_format="xlsx", params={"call": str(call_id)}
        )
        done = jobs.export_job_run(job_id=record.pk)
        assert done.state == ExportJob.State.READY, done.error
        return done.rows_done, (jobs.exports_root() / done.stored_name).stat().st_size

    def in_memory(call_id: int) -> tuple[int, int]:
        content = exports.export_render(manager, "applications", "csv", {"call": str(call_id)})
        return content.count(b"\r\n") - 1, len(content)

    run = {"csv": stream, "xlsx": job, "csv-in-memory": in_memory}[mode]
    assert run(small_call)[0] == WARM_UP_ROWS  # warm-up: modules, templates, session, roles
    gc.collect()
    idle_kb = _status_kb("VmRSS")
    reset = _reset_peak()
    peak_before_kb = _status_kb("VmHWM")
    started = time.perf_counter()
    rows, size = run(big_call)
    seconds = time.perf_counter() - started
    peak_kb = _status_kb("VmHWM")
    print(
        json.dumps(
            {
                "mode": mode,
                "rows": rows,
                "bytes": size,
                "seconds": seconds,
                "idle_kb": idle_kb,
                "peak_kb": peak_kb,
                "peak_reset": reset,
                "peak_before_kb": peak_before_kb,
            }
        )
    )


def measure(mode: str, big_call, small_call, manager) -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--database",
            connection.settings_dict["NAME"],
            "--ids",
            f"{big_call.pk},{small_call.pk},{manager.pk}",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        sys.exit(f"the {mode} export failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 100,000")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.database, *(int(i) for i in args.ids.split(",")))
        return
    n = args.rows or (10_000 if args.quick else 100_000)
    if connection.vendor != "postgresql":
        sys.exit("bench/exports.py needs PostgreSQL (a server-side cursor): set DATABASE_URL=postgres://…")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = DB_NAME
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        big_call, small_call, manager = build(n)
        build_seconds = time.perf_counter() - started
        connection.close()  # the children connect on their own
        results = {mode: measure(mode, big_call, small_call, manager) for mode in MODES}
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)

    def mb(kb: int) -> float:
        return kb / 1024

    print("database: postgresql")
    print(f"rows: {n}")
    print(f"build (bulk_create): {build_seconds:.1f} s")
    above = {}
    for mode, label in (
        ("csv", "CSV streamed through the test client"),
        ("xlsx", "XLSX built by the background job, in-process"),
        ("csv-in-memory", "CSV built whole in memory (export_render, one buffer), for comparison"),
    ):
        r = results[mode]
        assert r["rows"] == n, (mode, r["rows"], n)
        above[mode] = mb(r["peak_kb"] - r["idle_kb"])
        note = "" if r["peak_reset"] else " (peak not resettable here: high-water mark since start)"
        print(f"{label}: idle RSS {mb(r['idle_kb']):.0f} MB")
        print(f"{label}: peak RSS {mb(r['peak_kb']):.0f} MB, +{above[mode]:.1f} MB above idle{note}")
        print(f"{label}: {r['seconds']:.1f} s, {n / r['seconds']:,.0f} rows/s, file {r['bytes'] / 1024 / 1024:.1f} MB")
    met = above["csv"] <= LIMIT_MB and above["xlsx"] <= LIMIT_MB
    print(f"goal (both within +{LIMIT_MB} MB of idle): {'met' if met else 'NOT met'}")
    print(f"exports: csv +{above['csv']:.0f} MB, xlsx +{above['xlsx']:.0f} MB at {n:,} rows (limit +{LIMIT_MB} MB)")


if __name__ == "__main__":
    main()
