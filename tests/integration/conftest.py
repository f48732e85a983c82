"""Real Celery worker processes on a real Redis against the real PostgreSQL test database.

`start_worker()` starts `celery worker` as a subprocess pointed at the database pytest-django
created, with the file e-mail backend writing into the test's tmp_path, and points this
process's Celery app at the same broker with eager mode off. Every test gets a queue of its own
on that broker, so test runs sharing one Redis (several people, several checkouts) never take
each other's tasks; nothing is flushed. `private_redis` is a redis-server of the test's own, for
tests that stop and start the broker. `celery_worker_process` is one worker, ready.
"""

import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import service_missing

BASE_DIR = Path(__file__).resolve().parents[2]
DEADLINE = 20.0  # seconds any single wait may take before the test fails
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message


def wait_for(predicate, what: str, timeout: float = DEADLINE, worker=None):
    """Poll `predicate` until it returns something truthy; fail with the worker's log otherwise."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None and not worker.stopped:
            pytest.fail(f"the worker exited ({worker.process.returncode}) while waiting for {what}\n{worker.log()}")
        if time.monotonic() > end:
            pytest.fail(
                f"timed out after {timeout:.0f} s waiting for {what}"
                + (f"\n--- worker log ---\n{worker.log()}" if worker is not None else "")
            )
        time.sleep(0.1)


def celery_use_broker(app, url: str) -> None:
    """Point this process's Celery app at `url`, dropping pooled connections to the old broker."""
    app.conf.broker_url = url
    app._pool = None  # Celery caches the broker connection pool and the producer pool
    app.amqp._producer_pool = None


def celery_use_queue(app, name: str) -> None:
    """Send this process's tasks to queue `name` (exchange and routing key follow it)."""
    app.conf.task_default_queue = name
    for cached in ("queues", "default_queue", "default_exchange", "router", "send_task_message"):
        app.amqp.__dict__.pop(cached, None)


def worker_answers(app, nodename: str) -> bool:
    """Whether worker `nodename` answers a ping; a broken pooled connection counts as no."""
    try:
        return bool(app.control.ping(destination=[nodename], timeout=0.5))
    except Exception:
        celery_use_broker(app, app.conf.broker_url)  # drop the dead connection, retry on a new one
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url():
    """The Redis the tests may use (bin/test and CI export redis://127.0.0.1:6379/15)."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("needs Redis (set REDIS_URL)")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    finally:
        client.close()
    return url


@dataclass
class RedisServer:
    """A redis-server of the test's own (no persistence), stopped and started at will."""

    port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)

        def answers():
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_for(answers, f"redis-server on port {self.port} to answer", timeout=10)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # as abrupt as a crash: nothing is saved
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(redis_url, tmp_path):
    """A broker this test may stop and start (needs the redis-server binary, as CI has)."""
    if not shutil.which("redis-server"):
        service_missing("needs the redis-server binary")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(port=free_port(), workdir=workdir)
    server.start()
    yield server
    server.stop()


@dataclass
class Worker:
    process: subprocess.Popen
    nodename: str
    mail_dir: Path
    log_path: Path
    stopped: bool = field(default=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def messages(self) -> list[email.message.EmailMessage]:
        """Every e-mail the workers of this test wrote, across all files of the file backend."""
        return mail_messages(self.mail_dir)

    def mail_files(self) -> list[Path]:
        return sorted(self.mail_dir.glob("*.log"))

    def task_succeeded(self, task_id: str):
        """The return value the worker logged for task `task_id`, or None while it has not finished."""
        match = re.search(rf"Task [\w.]+\[{re.escape(task_id)}\] succeeded in [\d.]+s: (.*)", self.log())
        return match.group(1).strip() if match else None

    def relays_succeeded(self) -> list[str]:
        """Return values of every outbox relay the worker finished, in order."""
        return re.findall(r"Task workers\.tasks\.outbox_relay\[[\w-]+\] succeeded in [\d.]+s: (.*)", self.log())

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the running task
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a crash or the OOM killer would."""
        self.stopped = True
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def mail_messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return found


def database_url_for_test_db() -> str:
    from django.db import connection

    s = connection.settings_dict  # NAME is the test database pytest-django created (test_<name>)
    credentials = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        credentials += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(s['NAME'], safe='')}"


def _hostname() -> str:
    return socket.gethostname()


@pytest.fixture
def start_worker(postgres, redis_url, tmp_path, settings, monkeypatch):
    """start_worker(broker_url=None, concurrency=1, pool="solo", env=None) -> a ready Worker.

    All workers of one test share its queue and its mail folder; this process sends to them."""
    from workers.celery import app

    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)  # they would override app.conf.broker_url

    queue = f"test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    saved = app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue
    app.conf.task_always_eager = False
    celery_use_queue(app, queue)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    workers, logs = [], []

    def start(
        broker_url: str | None = None,
        *,
        concurrency: int = 1,
        pool: str = "solo",
        env: dict | None = None,
        ready_timeout: float = 30,
    ) -> Worker:
        broker = broker_url or redis_url
        celery_use_broker(app, broker)
        settings.CELERY_BROKER_URL = broker
        number = len(workers) + 1
        log_path = tmp_path / f"worker-{number}.log"
        nodename = f"integration-{uuid.uuid4().hex[:8]}@%h"
        worker_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(BASE_DIR),
            "DATABASE_URL": database_url_for_test_db(),
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            # django-environ drops the first "/" of the path: four slashes make an absolute path.
            "EMAIL_URL": f"filemail:///{mail_dir}",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery:app",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=info",
            "-Q",
            queue,
            "-n",
            nodename,
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        log_file = log_path.open("wb")
        logs.append(log_file)
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=worker_env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        worker = Worker(
            process=process, nodename=nodename.replace("%h", _hostname()), mail_dir=mail_dir, log_path=log_path
        )
        workers.append(worker)
        started = time.monotonic()
        wait_for(
            lambda: worker_answers(app, worker.nodename),
            "the worker to answer a ping",
            timeout=ready_timeout,
            worker=worker,
        )
        print(f"worker {worker.nodename} ready in {time.monotonic() - started:.1f} s")
        return worker

    start.queue = queue
    start.mail_dir = mail_dir
    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
        for log_file in logs:
            log_file.close()
        for worker in workers:  # shown by pytest when the test failed
            print(f"--- worker log ({worker.log_path}) ---\n{worker.log()}")
        app.conf.task_always_eager = saved[0]
        celery_use_broker(app, saved[1])
        celery_use_queue(app, saved[2])


@pytest.fixture
def celery_worker_process(start_worker):
    return start_worker()
