"""Several web nodes: any node serves any user, whichever node they signed in on or uploaded to.

Two real app servers (gunicorn with the shipped config/gunicorn.conf.py, one process each, on
two ports), as `docker compose up --scale web=2` runs them behind the proxy: they share the
PostgreSQL test database, Redis (sessions live in its cache) and one storage location (the
"private" storage of core/storage.py, here the filesystem backend on one folder; with
STORAGE_BACKEND=s3 it is a bucket). Nothing else is shared: each process has its own memory.

An applicant signs in on node A and uploads a document through the real upload form there;
node B then answers the dashboard for that session (200, not a redirect to the sign-in page) and
serves the document, byte for byte, to the same user.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.integration.conftest import database_url_for_test_db, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class Browser:
    """One user's cookies, sent to whichever node a request goes to (as behind one host name)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            sent = {"Host": "127.0.0.1", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body or None, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response, content
        finally:
            connection.close()

    def post_form(self, port: int, path: str, fields: dict):
        body = urlencode({**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}).encode()
        return self.request(port, "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_file(self, port: int, path: str, field: str, filename: str, data: bytes, content_type: str):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
                f"{self.cookies['csrftoken']}\r\n"
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(port, "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def start_node(port: int, env: dict, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "config/gunicorn.conf.py",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    end = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"node on {port} exited:\n{log.read_text(errors='replace')}"
        try:
            if Browser().request(port, "GET", "/accounts/login/")[0] == 200:
                return process
        except OSError:
            pass
        assert time.monotonic() < end, f"node on {port} did not answer:\n{log.read_text(errors='replace')}"
        time.sleep(0.2)


def stop_node(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture
def two_nodes(postgres, redis_url, tmp_path):
    """Ports of two app servers sharing the test database, Redis and one storage folder."""
    shared = tmp_path / "shared-storage"
    shared.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_test_db(),
        "REDIS_URL": redis_url,
        "STORAGE_BACKEND": "filesystem",
        "PRIVATE_STORAGE_ROOT": str(shared),
        "CELERY_TASK_DEFAULT_QUEUE": f"test-{uuid.uuid4().hex[:12]}",  # nothing of theirs reaches others' workers
        "PYTHONUNBUFFERED": "1",
    }
    processes, ports = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            processes.append(start_node(port, env, tmp_path / f"node-{name}.log"))
            ports.append(port)
        yield ports
    finally:
        for process in processes:
            stop_node(process)
        for name in ("a", "b"):
            log = tmp_path / f"node-{name}.log"
            if log.exists():  # shown by pytest when the test failed
                print(f"--- node {name} ---\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture
def applicant_draft(postgres, programme, make_user, make_org):
    """An applicant who can sign in (verified e-mail, a production password hash: the servers
    do not use the tests' MD5 hasher) with a draft application to an open call."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from applications import services
    from tests.factories import call_full

    user = make_user(email="olena.nodes@example.org")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    org = make_org(user, country="UA", legal_name="Centre Nodes")
    call = call_full(programme, code="nodes-2026")
    draft, _created = services.application_start(actor=user, call_id=call.pk, organisation_id=org.pk)
    return user, draft


def test_a_session_and_an_upload_from_one_node_are_served_by_the_other(two_nodes, applicant_draft):
    from applications.models import Attachment

    node_a, node_b = two_nodes
    user, draft = applicant_draft
    browser = Browser()

    # Sign in on A.
    assert browser.request(node_a, "GET", "/accounts/login/")[0] == 200
    status, response, _body = browser.post_form(node_a, "/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert status == 302 and response.getheader("Location") == "/dashboard/", (status, response.getheader("Location"))

    # The session started on A is valid on B.
    status, response, body = browser.request(node_b, "GET", "/dashboard/")
    assert status == 200, (status, response.getheader("Location"))
    assert user.full_name.encode() in body or user.email.encode() in body

    # A document uploaded through A's upload form…
    document = PDF + os.urandom(64 * 1024)  # bytes no other test upload has
    status, response, _body = browser.post_file(
        node_a, f"/applications/{draft.pk}/attachments/", "file", "Статут.pdf", document, "application/pdf"
    )
    assert status == 302, (status, _body[:500])
    attachment = Attachment.objects.get(application=draft)

    # …downloads from B, to the same user, byte for byte.
    status, response, body = browser.request(node_b, "GET", f"/applications/{draft.pk}/attachments/{attachment.pk}/")
    assert status == 200, status
    assert body == document
    assert response.getheader("Content-Type") == "application/pdf"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert "filename*=UTF-8''%D0%A1%D1%82%D0%B0%D1%82%D1%83%D1%82.pdf" in response.getheader("Content-Disposition")

    # Another visitor (no session) gets nothing from either node.
    stranger = Browser()
    for node in (node_a, node_b):
        status, response, _body = stranger.request(
            node, "GET", f"/applications/{draft.pk}/attachments/{attachment.pk}/"
        )
        assert status == 302 and "/accounts/login/" in response.getheader("Location")
