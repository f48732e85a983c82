"""Benchmark: flat cost as a programme grows (issue 14), at 1,000, 10,000 and 100,000 applications.

For each size a database of its own (created and dropped here) gets one programme of N
applications with reviews, grants, tranches, payments, grantee reports, donor reports, export
jobs, notifications and their hash-chained audit events in proportion (bench/scaling/build.py;
bulk COPY, final states; the chain is verified). Then every list, dashboard, detail, ranking,
search, public-register and export URL of every role (bench/scaling/pages.py) is requested
through Django's test client and the whole middleware stack: one warm-up, one request counting
queries, RUNS timed requests (median). Detail pages show objects of median size; lists are
requested at their first and a deep page. Each export runs in a forked process, its body read to
the end (a background job, if the export queues one, runs in that process): its time and the
process's peak resident memory above its idle memory. Per URL: median ms at each size, queries
at each size, ratio largest/smallest size. Goal (issue 14): every page within 2x and the same
number of queries at every size; exports are excepted from the time ratio, not from memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/scale.py [--quick] [--sizes 1000,10000]

--quick: 1,000 and 10,000 applications (a few minutes); default 1,000, 10,000 and 100,000.
One figure per line, the headline last.
"""

import argparse
import gc
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

RUNS = 5
PDF_RUNS = 3
GOAL_RATIO = 2.0


def status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def clients_for(world) -> dict:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in world.users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[role] = client
    return clients


def get(client, target, url):
    headers = {"HTTP_ACCEPT": "application/json"} if target.name.startswith("api-") else {}
    return client.get(url, **headers)


def time_page(client, target, url) -> dict:
    response = get(client, target, url)  # warm-up: templates, query plans, the session
    if response.status_code != 200:
        return {"status": response.status_code}
    with CaptureQueriesContext(connection) as ctx:
        get(client, target, url)
    queries = len(ctx.captured_queries)  # now: the next request clears the log (request_started)
    times = []
    for _ in range(PDF_RUNS if target.kind == "pdf" else RUNS):
        started = time.perf_counter()
        get(client, target, url)
        times.append(time.perf_counter() - started)
    return {"status": 200, "ms": statistics.median(times) * 1000, "queries": queries}


def run_export(client, target, url) -> dict:
    """In a forked process: the export's time and peak resident memory above idle."""
    connections.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        result = {}
        try:
            gc.collect()
            idle = status_kb("VmRSS")
            Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts from here
            started = time.perf_counter()
            response = get(client, target, url)
            size = sum(len(chunk) for chunk in response) if response.streaming else len(response.content)
            seconds = time.perf_counter() - started
            result = {
                "status": response.status_code,
                "ms": seconds * 1000,
                "bytes": size,
                "peak_mb": max(0, status_kb("VmHWM") - idle) / 1024,
                "redirect": response.get("Location", ""),
            }
        except Exception as exc:  # reported, not raised: the parent carries on
            result = {"status": 0, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            os.write(write, json.dumps(result).encode())
            os.close(write)
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data or '{"status": 0, "error": "the export process died"}')


def measure_size(n: int, results: dict, notes: list) -> dict:
    from scaling.build import build
    from scaling.pages import EXPORTS, PAGES, resolvable

    from audit.chain import chain_verify

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"hromada_scale_{n}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        world = build(n)
        built = time.perf_counter() - started
        report = chain_verify()
        refs = {
            **world.objects,
            "call": world.review_call.pk,
            "decided_call": world.decided_call.pk,
            "programme": world.programme.pk,
            "programme_code": world.programme.code,
            "call_code": world.decided_call.code,
        }
        clients = clients_for(world)
        pages, skipped = resolvable(PAGES, refs)
        exports, skipped_exports = resolvable(EXPORTS, refs)
        notes.extend(n for n in skipped + skipped_exports if n not in notes)
        started = time.perf_counter()
        for target, url in pages:
            results.setdefault(target, {})[n] = time_page(clients[target.role], target, url)
        timed = time.perf_counter() - started
        for target, url in exports:
            results.setdefault(target, {})[n] = run_export(clients[target.role], target, url)
        return {"build_s": built, "chain": report, "counts": world.counts, "pages_s": timed}
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 applications")
    parser.add_argument("--sizes", help="comma-separated numbers of applications, e.g. 1000,10000,100000")
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1000, 10000] if args.quick else [1000, 10000, 100000])
    )
    sizes = sorted(set(sizes))
    if connection.vendor != "postgresql":
        sys.exit("bench/scale.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not Path("/proc/self/clear_refs").exists():
        sys.exit("bench/scale.py measures export memory through /proc (Linux)")
    settings.DEBUG = False
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tmp = Path(tempfile.mkdtemp(prefix="hromada-bench-scale-"))
    settings.PRIVATE_STORAGE_ROOT = tmp / "private"
    import workers.messenger
    from workers.celery import app as celery_app

    workers.messenger.outbox_kick = lambda *a, **k: None  # notifications are not under test
    celery_app.conf.task_always_eager = True  # a background export runs in the process measured
    logging.getLogger("celery").setLevel(logging.WARNING)  # one line per eager task otherwise

    from scaling.pages import EXPORTS, PAGES, url_names

    results: dict = {}
    notes: list[str] = []
    runs = {}
    try:
        for n in sizes:
            runs[n] = measure_size(n, results, notes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(sizes, runs, results, notes, {t.name for t in PAGES + EXPORTS}, url_names())


def report(sizes, runs, results, notes, requested, names):
    print(
        f"database: {connection.vendor}; runs per page: {RUNS} (PDFs {PDF_RUNS}), median; sizes: "
        + ", ".join(f"{n:,}" for n in sizes)
    )
    for n in sizes:
        run = runs[n]
        counts = ", ".join(f"{label.split('.')[-1]} {count:,}" for label, count in run["counts"].items())
        print(f"build {n:,} applications: {run['build_s']:.1f} s ({counts})")
        chain = run["chain"]
        print(f"audit chain at {n:,}: {'valid' if chain.ok else 'BROKEN'}, {chain.count:,} events")
        print(f"pages timed at {n:,}: {run['pages_s']:.0f} s")
    worst, worst_label, constant, peak = 0.0, "", True, 0.0
    fmt = lambda r, key, f: f(r[key]) if r and key in r else "-"  # noqa: E731
    for target, by_size in results.items():
        row = [by_size.get(n) for n in sizes]
        if target.kind == "export":
            line = "; ".join(
                f"{n:,}: {fmt(r, 'ms', '{:.0f} ms'.format)}, peak +{fmt(r, 'peak_mb', '{:.0f} MB'.format)}, "
                f"{fmt(r, 'bytes', lambda b: f'{b / 1e6:.1f} MB out')}"
                + (", background job" if r and r.get("redirect") and r.get("status") == 302 else "")
                + (f", HTTP {r['status']}" if r and r.get("status") not in (200, 302) else "")
                + (f" {r['error']}" if r and r.get("error") else "")
                for n, r in zip(sizes, row)
            )
            print(f"export {target.label}: {line}")
            peak = max([peak] + [r.get("peak_mb", 0) for r in row if r])
            continue
        if any(r is None or r.get("status") != 200 for r in row):
            statuses = ", ".join(f"{n:,}: HTTP {r.get('status') if r else '-'}" for n, r in zip(sizes, row))
            notes.append(f"not timed: {target.label} ({statuses})")
            continue
        ratio = row[-1]["ms"] / row[0]["ms"]
        queries = [r["queries"] for r in row]
        constant = constant and len(set(queries)) == 1
        if ratio > worst:
            worst, worst_label = ratio, target.label
        print(
            f"{target.label}: "
            + " / ".join(f"{r['ms']:.1f}" for r in row)
            + " ms; queries "
            + " / ".join(str(q) for q in queries)
            + f"; ratio {ratio:.2f}x"
            + ("" if ratio <= GOAL_RATIO else " (over 2x)")
            + ("" if len(set(queries)) == 1 else " (queries grow)")
        )
    for note in notes:
        print(note)
    untimed = sorted(names - requested)
    print(f"URL names not requested (actions, forms, file downloads): {len(untimed)}: {', '.join(untimed)}")
    print(
        f"scale: worst page ratio {worst:.2f}x ({worst_label}); "
        f"queries constant: {'yes' if constant else 'no'}; export peak +{peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
