"""Benchmark: the reminder sweep and the outbox relay at scale, end to end.

100,000 due items (draft applications on an open call whose deadline is 3 days away, five
drafts per organisation of one member: one reminder per draft) on PostgreSQL; a real Celery
worker on Redis; a local SMTP sink that counts what it receives. Measures, in the same run:
  - the no-op Celery task rate of that worker (the limit the relay is compared with);
  - the seconds the sweep takes to write its outbox rows (goal: under 10 s);
  - e-mails delivered per second from the sweep's commit to the last message at the sink
    (goal: at least 0.5x the no-op rate);
  - e-mails counted at the sink: equal to the due items, and again after a second sweep and
    extra relays (nothing sent twice); distinct Message-IDs likewise.
One figure per line, the headline last.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/reminder_sweep.py [--quick]

Runs in a database of its own (created and dropped here) and on a redis-server of its own
(started and stopped here; `--redis-url` to use another one), never in the development data.
`--quick`: 5,000 items.
"""

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUE = f"bench-{uuid.uuid4().hex[:10]}"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SWEEP_GOAL_SECONDS = 10.0
DELIVERY_GOAL_RATIO = 0.5
DRAFTS_PER_ORGANISATION = 5


# --- The SMTP sink: counts messages and distinct Message-IDs, in a process of its own --------
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class SinkProtocol(asyncio.Protocol):
    def __init__(self, counters, seen):
        self.counters, self.seen = counters, seen
        self.buffer = b""
        self.in_data = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data):
        self.buffer += data
        replies = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                message, self.buffer = self.buffer[:end], self.buffer[end + 5 :]
                self.in_data = False
                match = MESSAGE_ID.search(message)
                self.seen.add(match.group(1) if match else uuid.uuid4().bytes)
                with self.counters.get_lock():
                    self.counters[0] += 1
                    self.counters[1] = len(self.seen)
                replies.append(b"250 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                replies.append(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
            elif verb == b"DATA":
                replies.append(b"354 go ahead\r\n")
                self.in_data = True
                self.buffer = b"\r\n" + self.buffer  # the terminator search needs the line start
            elif verb == b"QUIT":
                self.transport.write(b"".join(replies) + b"221 bye\r\n")
                self.transport.close()
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                replies.append(b"250 ok\r\n")
        if replies:
            self.transport.write(b"".join(replies))


def sink_serve(port, counters, ready):
    seen = set()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SinkProtocol(counters, seen), "127.0.0.1", port, backlog=256)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- Helpers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, what, timeout, process=None, log=None):
    end = time.monotonic() + timeout
    while not predicate():
        if process is not None and process.poll() is not None:
            sys.exit(f"the worker exited while waiting for {what}\n{log.read_text() if log else ''}")
        if time.monotonic() > end:
            sys.exit(f"timed out after {timeout:.0f} s waiting for {what}\n{log.read_text()[-4000:] if log else ''}")
        time.sleep(0.01)


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="") + (":" + quote(s["PASSWORD"], safe="") if s.get("PASSWORD") else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}{':' + str(s['PORT']) if s.get('PORT') else ''}/{s['NAME']}"


def build(n_items: int):
    """Drafts due in 3 days: n_items / 5 organisations of one member each, five drafts each."""
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from djmoney.money import Money

    from accounts.models import Membership, Organisation, User
    from applications.models import Application
    from grants.calls.models import Call, Programme

    now = timezone.now()
    programme = Programme.objects.create(
        code="bench",
        title="EU for Integrity (benchmark)",
        budget=Money(Decimal("9e9"), "EUR"),
        starts_on=now.date() - timedelta(days=400),
        ends_on=now.date() + timedelta(days=400),
        countries=["UA", "AM"],
    )
    call = Call(
        programme=programme,
        code="bench",
        title="Advocacy grants",
        title_uk="Гранти на адвокацію",
        title_hy="Փաստաբանական դրամաշնորհներ",
        envelope=Money(Decimal("1e9"), "EUR"),
        min_grant=Decimal("10000"),
        max_grant=Decimal("60000"),
        opens_at=now - timedelta(days=30),
        deadline=now + timedelta(days=3),
    )
    call.publish()
    call.open()
    call.save()
    n_orgs = (n_items + DRAFTS_PER_ORGANISATION - 1) // DRAFTS_PER_ORGANISATION
    password = make_password("benchmark-password")
    languages = ["en", "uk", "hy"]
    users = User.objects.bulk_create(
        [
            User(
                email=f"applicant{i}@bench.example.org",
                password=password,
                full_name=f"Applicant {i}",
                language=languages[i % 3],
            )
            for i in range(n_orgs)
        ],
        batch_size=5000,
    )
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                legal_name=f"Civic initiative {i}",
                country="UA",
                org_type="ngo",
                registration_id=f"UA-EDR-{10000000 + i}",
            )
            for i in range(n_orgs)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [Membership(organisation=o, user=u, role="owner") for o, u in zip(orgs, users)], batch_size=5000
    )
    Application.objects.bulk_create(
        [
            Application(
                call=call,
                organisation=orgs[i // DRAFTS_PER_ORGANISATION],
                created_by=users[i // DRAFTS_PER_ORGANISATION],
                title=f"Open budgets, project {i}",
            )
            for i in range(n_items)
        ],
        batch_size=5000,
    )
    return call


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
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
    import redis

    client = redis.Redis(port=port)

    def answers():
        try:
            return client.ping()
        except redis.RedisError:
            return False

    wait(answers, "redis-server", 10)
    return process, f"redis://127.0.0.1:{port}/0"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 items")
    parser.add_argument("--items", type=int, help="due items (default 100,000; 5,000 with --quick)")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--relays", type=int, help="relays started in parallel (default: --concurrency)")
    parser.add_argument("--redis-url", help="use this Redis instead of a redis-server of the benchmark's own")
    args = parser.parse_args()
    n_items = args.items or (5000 if args.quick else 100_000)
    n_noop = max(2000, min(20000, n_items // 5))
    relays = args.relays or args.concurrency
    os.environ["RELAY_PARALLEL"] = str(relays)

    tmp = Path(tempfile.mkdtemp(prefix="hromada-bench-reminders-"))
    redis_process = None
    if args.redis_url:
        broker = args.redis_url
    elif shutil.which("redis-server"):
        redis_process, broker = start_redis(tmp)
    else:
        broker = os.environ.get("REDIS_URL") or sys.exit("needs redis-server or REDIS_URL / --redis-url")
    os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = broker

    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection

    from workers.celery import app
    from workers.models import Notification
    from workers.outbox import outbox_kick, relays_for
    from workers.reminders import reminders_sweep
    from workers.tasks import noop

    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL: set DATABASE_URL")
    assert not app.conf.task_always_eager and app.conf.task_default_queue == QUEUE

    counters = multiprocessing.Array("q", 2)  # messages, distinct Message-IDs
    ready = multiprocessing.Event()
    smtp_port = free_port()
    sink = multiprocessing.Process(target=sink_serve, args=(smtp_port, counters, ready), daemon=True)
    sink.start()
    ready.wait(10)

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "hromada_bench_reminder_sweep"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    worker = None
    try:
        started = time.perf_counter()
        build(n_items)
        build_seconds = time.perf_counter() - started

        log = tmp / "worker.log"
        nodename = f"bench-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING",
            "RELAY_PARALLEL": str(relays),
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery:app",
                "worker",
                "--pool=prefork",
                f"--concurrency={args.concurrency}",
                "--loglevel=WARNING",
                "-Q",
                QUEUE,
                "-n",
                nodename,
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait(lambda: app.control.ping(destination=[nodename], timeout=0.5), "the worker", 60, worker, log)
        client = redis.Redis.from_url(broker)

        def queue_idle():
            return client.llen(QUEUE) == 0 and client.hlen("unacked") == 0

        # 1. No-op tasks: queued while the worker does not consume, then drained.
        app.control.cancel_consumer(QUEUE, destination=[nodename], reply=True)
        with app.producer_or_acquire() as producer:
            for _ in range(n_noop):
                noop.apply_async(producer=producer)
        wait(lambda: client.llen(QUEUE) == n_noop, "the no-op tasks to be queued", 60, worker, log)
        started = time.perf_counter()
        app.control.add_consumer(QUEUE, destination=[nodename], reply=True)
        wait(queue_idle, "the no-op tasks to run", 600, worker, log)
        noop_rate = n_noop / (time.perf_counter() - started)

        # 2. The sweep writes its outbox rows; 3. the workers relay them to the SMTP sink.
        started = time.perf_counter()
        written = sum(reminders_sweep(kick=False).values())
        sweep_seconds = time.perf_counter() - started
        started = time.perf_counter()
        outbox_kick(parallel=relays_for(written))
        wait(lambda: counters[0] >= n_items, "every reminder at the sink", 3600, worker, log)
        delivery_seconds = time.perf_counter() - started
        delivered_rate = counters[0] / delivery_seconds
        wait(
            lambda: not Notification.objects.filter(sent_at__isnull=True).exists(),
            "every row marked sent",
            60,
            worker,
            log,
        )
        after_first = counters[0]

        # 4. A second sweep, and more relays than needed: nothing more goes out.
        started = time.perf_counter()
        written_again = sum(reminders_sweep(kick=False).values())
        sweep_again_seconds = time.perf_counter() - started
        outbox_kick(parallel=relays)
        time.sleep(1.0)
        wait(queue_idle, "the extra relays to finish", 120, worker, log)
        after_second, distinct = counters[0], counters[1]
        ratio = delivered_rate / noop_rate
        ok = (
            sweep_seconds < SWEEP_GOAL_SECONDS
            and ratio >= DELIVERY_GOAL_RATIO
            and after_first == after_second == distinct == n_items == written
            and written_again == 0
        )

        print("database: postgresql")
        print(f"worker processes: {args.concurrency}; relays in parallel: {relays}")
        print(f"due items: {n_items}")
        print(f"data built in: {build_seconds:.1f} s")
        print(f"no-op Celery tasks per second: {noop_rate:.0f} ({n_noop} tasks)")
        print(
            f"sweep: {written} outbox rows in {sweep_seconds:.2f} s (goal < {SWEEP_GOAL_SECONDS:.0f} s: "
            f"{sweep_seconds / SWEEP_GOAL_SECONDS:.2f}x of the limit)"
        )
        print(f"e-mails delivered: {after_first} in {delivery_seconds:.1f} s")
        print(
            f"e-mails delivered per second: {delivered_rate:.0f} ({ratio:.2f}x the no-op rate; goal >= {DELIVERY_GOAL_RATIO}x)"
        )
        print(f"second sweep: {written_again} rows in {sweep_again_seconds:.2f} s")
        print(f"e-mails at the sink after the first sweep: {after_first} (due items: {n_items})")
        print(f"e-mails at the sink after the second sweep and extra relays: {after_second}")
        print(f"distinct Message-IDs at the sink: {distinct}")
        print(
            f"reminder sweep: {n_items} items, sweep {sweep_seconds:.2f} s (< {SWEEP_GOAL_SECONDS:.0f} s), "
            f"delivery {delivered_rate:.0f}/s = {ratio:.2f}x no-op {noop_rate:.0f}/s (>= {DELIVERY_GOAL_RATIO}x), "
            f"sink {after_second}/{n_items} — {'within' if ok else 'OUTSIDE'} the goals"
        )
        if not ok:
            sys.exit(1)
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        sink.terminate()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
