"""Slow clients cannot take the site down: the shipped reverse proxy keeps them away from gunicorn.

gunicorn (config/gunicorn.conf.py: gthread, four threads per worker) gives each request a
thread, and the thread waits for the request body while Django reads it. A client that sends a
POST header announcing 100,000 bytes and then one byte a second holds its thread for a day.
Against gunicorn alone, such clients hold every thread and a normal page does not answer
(the second test shows it). Behind the nginx configuration docker-compose.yml ships
(deploy/nginx/hromada.conf), nginx holds the unfinished requests itself, gunicorn never sees them
and the page answers at once (the first test).

All real: Debian's nginx (installed by `bin/setup --dev`) runs the committed configuration, with
only its upstream address and listening port replaced, in front of gunicorn started with the
shipped config/gunicorn.conf.py (two workers, as on a two-CPU machine) against the PostgreSQL
test database. Each test starts its own processes on free ports and stops them.
"""

import getpass
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import service_missing
from tests.integration.conftest import database_url_for_test_db, free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = os.environ.get("HROMADA_NGINX", "/usr/sbin/nginx")
PROXY_CONF = ROOT / "deploy" / "nginx" / "hromada.conf"
WORKERS, THREADS = 2, 4
# More slow clients than gunicorn has threads, with room to spare: SO_REUSEPORT spreads them
# over the two workers by a hash, and each worker must get at least its four.
DRIPS = 24
BODY_BYTES = 100_000
PAGE_WITHIN = 1.0  # seconds a normal page may take while the slow clients drip


def wait_until_answers(port: int, process: subprocess.Popen, log: Path, what: str, timeout: float = 60) -> None:
    """Until `/` answers 200 on `port`; fails with `log` when the process exits or time runs out."""
    end = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"{what} exited ({process.returncode}):\n{log.read_text(errors='replace')}"
        try:
            status, _seconds = get_page(port, timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < end, f"{what} did not answer on port {port}:\n{log.read_text(errors='replace')}"
        time.sleep(0.2)


def get_page(port: int, path: str = "/", timeout: float = PAGE_WITHIN) -> tuple[int, float]:
    """GET `path` on a new connection, as a new visitor would; (status, seconds to the whole answer)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class SlowDrip:
    """`count` connections that each send a POST header for a form of BODY_BYTES bytes, then one
    byte a second from a thread of their own, until closed. They carry a CSRF cookie, as a
    browser that opened the sign-in page does, so Django reads the form for its token."""

    HEADER = (
        "POST /accounts/login/ HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Cookie: csrftoken={'a' * 32}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {BODY_BYTES}\r\n"
        "\r\n"
    ).encode()

    def __init__(self, port: int, count: int):
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(self.HEADER)
        self.sent = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stopped.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"a")
                except OSError:
                    pass  # a closed connection shows in unanswered() below
            self.sent += 1

    def unanswered(self) -> int:
        """How many connections are still open with no answer (nginx or gunicorn still waiting)."""
        waiting = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                sock.recv(1)  # an answer (a refusal, a time-out) or b"": closed by the server
            except BlockingIOError:
                waiting += 1  # nothing to read: the server still waits for the body
            except OSError:
                pass  # reset by the server
            finally:
                sock.setblocking(True)
        return waiting

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def gunicorn(postgres, tmp_path):
    """The shipped gunicorn config serving the site against the test database; yields (port, process, log)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_test_db(),
        "TRUSTED_PROXY_COUNT": "1",  # as docker-compose.yml passes it
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "config/gunicorn.conf.py",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_answers(port, process, log, "gunicorn")
        for _ in range(10):  # new connections land on both workers: each has served a page once
            get_page(port, timeout=10)
        yield port, process, log
    finally:
        stop(process)


def render_proxy_conf(upstream_port: int, listen_port: int) -> str:
    """The committed proxy configuration with the test's upstream and port, nothing else changed."""
    text = PROXY_CONF.read_text()
    for line, replacement in (
        ("server web:8000 resolve;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 80;", f"listen 127.0.0.1:{listen_port};"),
    ):
        assert len(re.findall(rf"^\s*{re.escape(line)}", text, re.M)) == 1, f"{PROXY_CONF} lost its line {line!r}"
        text = re.sub(rf"^(\s*){re.escape(line)}", lambda m, r=replacement: m.group(1) + r, text, flags=re.M)
    return text


@pytest.fixture
def nginx(gunicorn, tmp_path):
    """Debian's nginx, unprivileged paths in tmp_path, running deploy/nginx/hromada.conf in front
    of `gunicorn`, as the official image includes it (inside its http block); yields its port."""
    if not os.path.exists(NGINX):
        service_missing(f"needs nginx at {NGINX} (bin/setup --dev installs Debian's nginx)")
    upstream_port, _process, _log = gunicorn
    port = free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "hromada.conf").write_text(render_proxy_conf(upstream_port, port))
    # As root, nginx would hand its workers to the unprivileged `nobody`, which cannot write the
    # temporary folders in tmp_path: keep them this user's.
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/hromada.conf;
}}
"""
    )
    log = prefix / "error.log"
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(prefix / "stderr.log").open("wb"),
        start_new_session=True,
    )
    try:
        wait_until_answers(port, process, prefix / "stderr.log", "nginx", timeout=20)
        yield port
    finally:
        stop(process, signal.SIGQUIT)  # graceful: finishes what it serves, removes its pid file
        print(f"--- nginx error log ---\n{log.read_text(errors='replace') if log.exists() else ''}")


def test_behind_the_shipped_proxy_a_page_answers_within_a_second_while_slow_clients_drip(nginx, gunicorn):
    _port, _process, gunicorn_log = gunicorn
    drips = SlowDrip(nginx, DRIPS)
    try:
        time.sleep(2)  # the slow clients have sent their headers and a byte or two
        timings = []
        for _ in range(5):
            status, seconds = get_page(nginx, timeout=5)
            assert status == 200
            timings.append(seconds)
            time.sleep(1)
        assert max(timings) < PAGE_WITHIN, f"the home page took {timings} s while {DRIPS} clients dripped"
        assert drips.sent >= 5, "the slow clients did not drip while the page was asked for"
        # The slow clients are still connected, their requests unfinished: nginx holds them (they
        # were neither refused nor answered), and gunicorn has not seen one of them.
        assert drips.unanswered() == DRIPS
        assert "POST /accounts/login/" not in gunicorn_log.read_text(errors="replace")
    finally:
        drips.close()


def test_the_proxy_refuses_a_body_above_the_largest_upload_before_reading_it(nginx, gunicorn):
    _port, _process, gunicorn_log = gunicorn
    too_big = (settings.UPLOAD_MAX_MB + 1) * 1024 * 1024 + 1  # the largest file and 1 MB of form, and a byte
    with socket.create_connection(("127.0.0.1", nginx), timeout=5) as sock:
        sock.sendall(
            SlowDrip.HEADER.replace(f"Content-Length: {BODY_BYTES}".encode(), f"Content-Length: {too_big}".encode())
        )
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert "POST /accounts/login/" not in gunicorn_log.read_text(errors="replace")


def test_gunicorn_alone_is_starved_by_the_same_slow_clients(gunicorn):
    """Why the proxy is there: the same drip straight at gunicorn holds every thread, and the page
    that answered in milliseconds does not answer within a second (nor within three)."""
    port, process, log = gunicorn
    status, seconds = get_page(port)
    assert status == 200 and seconds < PAGE_WITHIN  # before the drip, the page is quick
    drips = SlowDrip(port, DRIPS)
    try:
        time.sleep(2)
        assert drips.unanswered() == DRIPS
        with pytest.raises(TimeoutError):
            get_page(port, timeout=3)
    finally:
        drips.close()
    # Once the slow clients are gone, gunicorn serves again.
    wait_until_answers(port, process, log, "gunicorn", timeout=30)
