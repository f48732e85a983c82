"""Benchmark: the last minute before a call's deadline, on gunicorn and PostgreSQL.

(1) Rush. 200 applicant organisations, each with two members, in the last minute before the
    deadline: one member autosaves the draft every 2 s (as the browser does: JSON with the
    version and field hashes), uploads a 1 MB PDF a few seconds before submitting, and submits;
    for every fourth organisation the second member presses "Submit" at the same instant. A few
    more organisations submit 1-3 s after the deadline. Afterwards the database is checked:
      lost       = an organisation that submitted before the deadline without a submitted
                   application, or whose last acknowledged autosave is not in the frozen content;
      duplicated = an application submitted (audited, referenced) more than once, or two
                   applications of one organisation;
      late       = an application accepted at or after the deadline (by the database clock),
                   or a late organisation's application not left a draft.
    All three must be 0. p50/p95/p99 of autosave and submit latency (goals: autosave p99 under
    100 ms, submit p99 under 1 s).
(2) Capacity. Autosaves per second with 16 connections in a closed loop, and its ratio to the
    machine's write limit measured in the same run: one-row INSERT + COMMIT in a loop over one
    connection (goal: at least 0.25x). The two are measured in alternating slices (capacity,
    then the limit, ten times over), because this machine's speed changes from second to second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/deadline_rush.py [--quick]

Runs in a database of its own (created and dropped here), a private redis-server as the broker
(the outbox kick is a real enqueue; no worker consumes it) and gunicorn started here; nothing of
the development data is touched. `--quick`: 30 organisations over 15 s. One figure per line, the
headline last.
"""

import argparse
import asyncio
import http.client
import os
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from rush.clients import FILLER, HOST, capacity_and_limit, percentile, rush, warm_up  # noqa: E402

PDF_HEAD = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{quote(db['USER'] or 'postgres')}:{quote(db.get('PASSWORD') or '')}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


# --- the world ---------------------------------------------------------------------------------


def build(n_orgs: int, n_late: int, n_capacity: int, n_warm: int = 8, form: str = "standard"):
    """A programme, the rush call and a capacity call (far deadline), organisations with two
    members each, a complete draft per organisation except the last answer and the document.
    `form`: "standard" (two text questions) or "large" (a manager's form of 120 questions of
    every kind over 10 sections with 20 conditions; tests.factories.form_large)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string
    from djmoney.money import Money

    from accounts.models import Membership, Organisation, ProgrammeRole, User
    from applications import services
    from grants.calls.form.layout import form_load
    from grants.calls.models import CallState, Programme
    from tests.factories import call_full, form_large

    programme = Programme.objects.create(
        code="rush",
        title="Rush programme",
        budget=Money(Decimal("900000000"), "EUR"),
        starts_on=timezone_today(),
        ends_on=timezone_today() + timedelta(days=3650),
        countries=["UA"],
    )
    rush = call_full(programme, code="rush-2026", envelope="400000000", state=CallState.OPEN)
    capacity = call_full(programme, code="capacity-2026", envelope="400000000", state=CallState.OPEN)
    if form == "large":
        form_large(rush)
        form_large(capacity)
    texts = {
        c.pk: [q for q in form_load(c.pk).answerable if q.kind == "long_text" and not q.condition]
        for c in (rush, capacity)
    }  # the first is filled here; the second is what the rush types into
    manager = User.objects.create_user(email="manager@rush.example", password=None)
    ProgrammeRole.objects.create(user=manager, programme=programme, role=ProgrammeRole.Role.MANAGER)
    total = n_orgs + n_late + n_capacity + n_warm
    users = User.objects.bulk_create(
        [
            User(email=f"m{i}-{k}@rush.example", password="!", full_name=f"Member {i}-{k}")
            for i in range(total)
            for k in (1, 2)
        ]
    )
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                legal_name=f"Rush CSO {i}", country="UA", org_type="ngo", registration_id=f"UA-EDR-{50000000 + i}"
            )
            for i in range(total)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(organisation=orgs[i], user=users[2 * i + k], role="owner" if k == 0 else "member")
            for i in range(total)
            for k in (0, 1)
        ]
    )
    headings = list(rush.budget_headings.order_by("position"))
    clients = []
    for i, org in enumerate(orgs):
        call = capacity if i >= n_orgs + n_late else rush
        if i >= n_orgs + n_late + n_capacity:
            call = capacity
        first, second = users[2 * i], users[2 * i + 1]
        app, _ = services.application_start(actor=first, call_id=call.pk, organisation_id=org.pk)
        call_headings = headings if call is rush else list(capacity.budget_headings.order_by("position"))
        questions = texts[call.pk]
        fields = {
            **{services.question_field(q.pk): FILLER for q in questions if q.required},
            "title": f"Project {i}",
            "summary": "What we will do.",
            "requested_amount": "40000",
            "cofinancing_amount": "2500",
            "duration_months": "12",
            services.question_field(questions[0].pk): FILLER * 3,
            "budget": [
                {"heading": call_headings[0].pk, "description": "Staff", "units": "12", "unit_cost": "2500"},
                {"heading": call_headings[1].pk, "description": "Trips", "units": "10", "unit_cost": "1000"},
                {"heading": call_headings[3].pk, "description": "Indirect", "units": "1", "unit_cost": "2500"},
            ],
        }
        result = services.application_autosave(actor=first, application_id=app.pk, version=app.version, fields=fields)
        cookies = []
        for user in (first, second):
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            token = _get_new_csrf_string()
            cookies.append(
                (f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={token}", token)
            )
        clients.append(
            {
                "index": i,
                "app": app.pk,
                "org": org.pk,
                "version": result.version,
                "hashes": result.hashes,
                "field": services.question_field(questions[1].pk),
                "document": call.required_documents.first().pk,
                "cookies": cookies,
                "late": n_orgs <= i < n_orgs + n_late,
                "capacity": n_orgs + n_late <= i < n_orgs + n_late + n_capacity,
                "warm": i >= n_orgs + n_late + n_capacity,
            }
        )
    return rush, capacity, clients


def form_questions(call) -> list:
    from grants.calls.form.layout import form_load

    return form_load(call.pk).questions


def timezone_today():
    from django.utils import timezone

    return timezone.localdate()


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


# --- HTTP clients ------------------------------------------------------------------------------


# --- the run -----------------------------------------------------------------------------------


def start_redis(workdir: Path):
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            HOST,
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"redis://{HOST}:{port}/0"


def start_gunicorn(port, env, log, workers, threads):
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "config/gunicorn.conf.py",
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text()}")
        if time.time() > deadline - 1:
            stop(process)
            sys.exit(f"gunicorn did not answer:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    sys.exit(f"gunicorn did not answer:\n{log.read_text()}")


def stop(process):
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 organisations over 15 s, short capacity runs")
    parser.add_argument("--clients", type=int, help="organisations in the rush (default 200; 30 with --quick)")
    parser.add_argument(
        "--form",
        choices=["standard", "large"],
        default="standard",
        help="the call's form: two text questions, or 120 questions over 10 sections with 20 conditions",
    )
    served = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))  # production's layout unless told
    parser.add_argument("--workers", type=int, default=served["workers"], help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=served["threads"], help="threads per gunicorn worker")
    args = parser.parse_args()
    n_orgs = args.clients or (30 if args.quick else 200)
    n_late = max(3, n_orgs // 10)
    n_capacity = 16
    window = 15.0 if args.quick else 60.0
    capacity_seconds = 5.0 if args.quick else 20.0
    limit_seconds = 3.0 if args.quick else 10.0
    slices = 5 if args.quick else 10
    if connection.vendor != "postgresql":
        sys.exit("bench/deadline_rush.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not shutil.which("redis-server"):
        sys.exit("bench/deadline_rush.py needs redis-server (the broker the outbox kick enqueues to)")

    tmp = Path(tempfile.mkdtemp(prefix="hromada-bench-rush-"))
    # Sessions are signed and tied to the password hash with the secret key: the server and this
    # process (which opens the members' sessions) share one.
    settings.SECRET_KEY = uuid.uuid4().hex * 2
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_STORAGE_ROOT = tmp / "private"
    import workers.messenger

    workers.messenger.outbox_kick = lambda *a, **k: None  # the set-up's own messages are not under test
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "hromada_bench_deadline_rush"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    redis_process = gunicorn = None
    try:
        started = time.perf_counter()
        rush_call, _capacity_call, clients = build(n_orgs, n_late, n_capacity, form=args.form)
        build_seconds = time.perf_counter() - started
        redis_process, broker = start_redis(tmp)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            # production settings ask for the open-data publisher (nothing here publishes)
            "OPENDATA_360G_PREFIX": "360G-bench",
            "OPENDATA_IATI_REPORTING_ORG": "XM-DAC-bench",
            "OPENDATA_PUBLISHER_NAME": "Hromada benchmark",
            "PRIVATE_STORAGE_ROOT": str(tmp / "private"),
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
            "MFA_REQUIRED_FOR_MONEY_ROLES": "false",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "STATIC_ROOT": str(tmp / "static"),
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        gunicorn = start_gunicorn(port, env, tmp / "gunicorn.log", args.workers, args.threads)
        connections.close_all()

        rush_clients = [c for c in clients if not c["capacity"] and not c["warm"]]
        pdf = PDF_HEAD + os.urandom(1024 * 1024 - len(PDF_HEAD) - 6) + b"\n%%EOF"
        asyncio.run(warm_up(port, clients, pdf))

        from grants.calls.models import Call

        lead = 3.0
        deadline_db = db_now() + timedelta(seconds=window + lead)
        Call.objects.filter(pk=rush_call.pk).update(deadline=deadline_db)
        deadline = time.time() + window + lead  # the same instant on this machine's clock
        connections.close_all()
        load_before = os.getloadavg()[0]
        lat, records, errors = asyncio.run(rush(port, rush_clients, deadline, window, pdf))
        load_after = os.getloadavg()[0]

        # --- what the database says
        from django.db.models import Count

        from applications.models import Application, ApplicationState
        from audit.models import AuditEvent

        apps = {a.pk: a for a in Application.objects.filter(call=rush_call)}
        on_time_orgs = {r["org"] for r in records if not r["late"] and r["sent"] < deadline}
        submitted_orgs = {a.organisation_id for a in apps.values() if a.reference}
        lost = len(on_time_orgs - submitted_orgs)
        text_lost_orgs = len(
            {
                r["org"]
                for r in records
                if not r["late"]
                and r["text"]
                and apps[r["app"]].submitted_content
                and r["text"] not in [a["answer"] for a in apps[r["app"]].submitted_content["answers"]]
            }
        )
        audits = dict(
            AuditEvent.objects.filter(action="submit", object_type="applications.application")
            .values_list("object_id")
            .annotate(n=Count("pk"))
            .values_list("object_id", "n")
        )
        duplicated = sum(1 for n in audits.values() if n > 1)
        duplicated += (
            Application.objects.filter(call=rush_call)
            .values("organisation_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        references = [a.reference for a in apps.values() if a.reference]
        duplicated += len(references) - len(set(references))
        late_accepted = sum(1 for a in apps.values() if a.submitted_at and a.submitted_at >= deadline_db)
        late_orgs = {c["org"] for c in rush_clients if c["late"]}
        late_accepted += sum(
            1 for a in apps.values() if a.organisation_id in late_orgs and a.state != ApplicationState.DRAFT
        )
        accepted_responses = sum(1 for r in records if r["accepted"] and not r["late"])
        double_pressed = sum(1 for c in rush_clients if not c["late"] and c["index"] % 4 == 0)

        # --- capacity and the write limit, in the same run
        cap_clients = [c for c in clients if c["capacity"]]
        rate, cap_latencies, limit, slice_ratios, cpu_per_save = capacity_and_limit(
            port, cap_clients, capacity_seconds, limit_seconds, slices, os.getpgid(gunicorn.pid)
        )
        ratio = rate / limit

        ms = lambda values, p: percentile(values, p) * 1000  # noqa: E731
        print(f"form: {args.form} ({len(form_questions(rush_call))} questions)")
        print(f"organisations in the rush: {n_orgs} (+{n_late} submitting after the deadline), window {window:.0f} s")
        print(
            f"set-up: {build_seconds:.1f} s; gunicorn {args.workers} workers x {args.threads} threads on {os.cpu_count()} CPUs"
        )
        print(
            f"machine load average before / after the rush: {load_before:.1f} / {load_after:.1f} "
            f"(other processes share these CPUs)"
        )
        print(f"autosaves: {len(lat['autosave'])}")
        print(f"autosave p50: {ms(lat['autosave'], 50):.1f} ms")
        print(f"autosave p95: {ms(lat['autosave'], 95):.1f} ms")
        print(f"autosave p99: {ms(lat['autosave'], 99):.1f} ms")
        print(f"upload (1 MB) p50: {ms(lat['upload'], 50):.1f} ms")
        print(f"upload (1 MB) p99: {ms(lat['upload'], 99):.1f} ms")
        print(f"submit presses: {len(lat['submit'])} ({double_pressed} organisations pressed twice at once)")
        print(f"submit p50: {ms(lat['submit'], 50):.1f} ms")
        print(f"submit p95: {ms(lat['submit'], 95):.1f} ms")
        print(f"submit p99: {ms(lat['submit'], 99):.1f} ms")
        print(f"submissions accepted before the deadline: {len(submitted_orgs)} of {len(on_time_orgs)}")
        print(f"receipts shown to on-time presses: {accepted_responses}")
        print(
            f"late submissions refused: {len(late_orgs) - sum(1 for a in apps.values() if a.organisation_id in late_orgs and a.reference)} of {len(late_orgs)}"
        )
        print(f"client errors: {len(errors)}")
        for error in errors[:5]:
            print(f"  {error}")
        print(f"lost submissions: {lost}")
        print(f"lost autosaved text: {text_lost_orgs}")
        print(f"duplicated submissions: {duplicated}")
        print(f"late submissions accepted: {late_accepted}")
        print(f"capacity (16 connections, closed loop): {rate:.0f} autosaves/s, p99 {ms(cap_latencies, 99):.1f} ms")
        if cpu_per_save:
            print(
                "CPU per autosave in the capacity run: "
                + ", ".join(f"{who} {seconds * 1000:.2f} ms" for who, seconds in cpu_per_save.items())
                + f" ({os.cpu_count()} CPUs shared)"
            )
        print(f"write limit (one-row INSERT+COMMIT, one connection): {limit:.0f}/s")
        print(
            f"capacity ratio per slice ({slices} slices, alternating with the write limit): "
            f"min {min(slice_ratios):.2f}x, median {statistics.median(slice_ratios):.2f}x, max {max(slice_ratios):.2f}x"
        )
        print(f"capacity ratio: {ratio:.2f}x the write limit")
        ok = (
            lost == 0
            and text_lost_orgs == 0
            and duplicated == 0
            and late_accepted == 0
            and not errors
            and ms(lat["autosave"], 99) < 100
            and ms(lat["submit"], 99) < 1000
            and ratio >= 0.25
        )
        print(
            f"deadline rush: {lost + text_lost_orgs} lost, {duplicated} duplicated, {late_accepted} late-accepted; "
            f"autosave p99 {ms(lat['autosave'], 99):.0f} ms, submit p99 {ms(lat['submit'], 99):.0f} ms; "
            f"capacity {rate:.0f}/s = {ratio:.2f}x the write limit ({limit:.0f}/s)"
        )
        return 0 if ok else 1
    finally:
        stop(gunicorn)
        if redis_process is not None and redis_process.poll() is None:
            redis_process.terminate()
            redis_process.wait(10)
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
