"""A real Celery worker process on a real Redis against the real PostgreSQL test database.

`celery_worker_process` starts `celery worker` as a subprocess pointed at the database
pytest-django created, with the file e-mail backend writing into the test's tmp_path, and
points this process's Celery app at the same Redis db with eager mode off.
"""
import email
import email.policy
import os
import re
import signal
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
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}) while waiting for {what}\n{worker.log()}")
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}"
                        + (f"\n--- worker log ---\n{worker.log()}" if worker is not None else ""))
        time.sleep(0.1)


def celery_use_broker(app, url: str) -> None:
    """Point this process's Celery app at `url`, dropping pooled connections to the old broker."""
    app.conf.broker_url = url
    app._pool = None  # Celery caches the broker connection pool and the producer pool
    app.amqp._producer_pool = None


@pytest.fixture
def redis_url():
    """The Redis db the tests may own (bin/test and CI export redis://127.0.0.1:6379/15), flushed."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("needs Redis (set REDIS_URL)")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
        client.flushdb()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    finally:
        client.close()
    return url


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
        """Every e-mail the worker wrote, across all files of the file backend."""
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return found

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


def database_url_for_test_db() -> str:
    from django.db import connection

    s = connection.settings_dict  # NAME is the test database pytest-django created (test_<name>)
    credentials = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        credentials += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(s['NAME'], safe='')}"


@pytest.fixture
def celery_worker_process(postgres, redis_url, tmp_path, settings, monkeypatch):
    from workers.celery import app

    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)  # they would override app.conf.broker_url

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    nodename = f"integration-{uuid.uuid4().hex[:8]}@%h"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(BASE_DIR),
        "DATABASE_URL": database_url_for_test_db(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        # django-environ drops the first "/" of the path: four slashes make an absolute path.
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "workers.celery:app", "worker", "--pool=solo",
               "--concurrency=1", "--loglevel=info", "-Q", "celery", "-n", nodename,
               "--without-mingle", "--without-gossip", "--without-heartbeat"]

    # This process sends to the same Redis db, for real (the autouse fixture forced eager mode).
    saved_eager, saved_broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    celery_use_broker(app, redis_url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url

    log_file = log_path.open("wb")
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                               start_new_session=True)
    worker = Worker(process=process, nodename=nodename.replace("%h", _hostname()), mail_dir=mail_dir,
                    log_path=log_path)
    try:
        started = time.monotonic()
        wait_for(lambda: app.control.ping(destination=[worker.nodename], timeout=0.5), "the worker to answer a ping",
                 timeout=30, worker=worker)
        print(f"worker {worker.nodename} ready in {time.monotonic() - started:.1f} s")
        yield worker
    finally:
        stopping = time.monotonic()
        worker.stop()
        print(f"worker stopped in {time.monotonic() - stopping:.1f} s")
        log_file.close()
        # Shown by pytest when the test failed.
        print(f"--- worker log ({log_path}) ---\n{worker.log()}")
        app.conf.task_always_eager = saved_eager
        celery_use_broker(app, saved_broker)


def _hostname() -> str:
    import socket

    return socket.gethostname()
