"""The reverse proxy docker-compose.yml ships (nginx with deploy/nginx/hromada.conf) stands between
clients and gunicorn, with the settings that keep slow clients away from gunicorn's threads, and
refuses exactly the bodies the app would refuse anyway.

What the settings do is shown with real processes in tests/integration/test_slow_clients.py;
here the committed files are read, so that a change to one of them cannot quietly undo it."""

import re
from pathlib import Path

import yaml
from django.conf import settings

from grants.agreements.services import AGREEMENT_MAX_BYTES
from reporting.data.imports import MAX_BYTES as IMPORT_MAX_BYTES
from reporting.grantee.documents import MAX_DOCUMENT_MB

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "hromada.conf"
MB = 1024 * 1024


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def directives(name: str) -> list[str]:
    """The arguments of every `name ...;` directive of the proxy configuration, comments dropped."""
    text = re.sub(r"#[^\n]*", "", CONF.read_text())
    return [m.group(1).strip() for m in re.finditer(rf"(?:^|[;{{}}\s]){re.escape(name)}\s+([^;{{]*);", text)]


def one(name: str) -> str:
    found = directives(name)
    assert len(found) == 1, f"{CONF.name} sets {name} {len(found)} times: {found}"
    return found[0]


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def test_only_the_proxy_faces_clients_and_it_runs_the_committed_configuration():
    services = compose()["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:"), "the proxy is the official nginx image"
    mounts = [str(volume).split(":") for volume in proxy["volumes"]]
    assert ["./deploy/nginx/hromada.conf", "/etc/nginx/conf.d/default.conf", "ro"] in mounts, mounts
    assert [str(port).rsplit(":", 1)[-1] for port in proxy["ports"]] == ["80"]
    assert "web" in proxy["depends_on"]
    # The proxy passes to gunicorn on the compose network, at the port gunicorn binds there.
    web_bind = re.search(r"--bind\s+0\.0\.0\.0:(\d+)", " ".join(services["web"]["command"]))
    assert web_bind, services["web"]["command"]
    # Every replica of `web` (docker compose --scale web=N): the name is resolved again as replicas come and go.
    assert one("server") == f"web:{web_bind.group(1)} resolve"
    assert one("resolver").split()[0] == "127.0.0.11"  # Docker's DNS on the compose network
    assert all(str(port).startswith("127.0.0.1:") for port in services["web"].get("ports", []))


def test_the_app_services_trust_exactly_the_one_proxy():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["TRUSTED_PROXY_COUNT"] == "1", name


def test_requests_are_read_to_the_end_before_gunicorn_sees_them_and_stalled_clients_are_cut_off():
    assert one("proxy_request_buffering") == "on"
    assert one("proxy_buffering") == "on"  # a slow reader is fed by nginx, not by a gunicorn thread
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout", "keepalive_timeout"):
        assert seconds(one(name)) <= 20, f"{name} {one(name)} lets a stalled client hold on too long"
    zone = one("limit_conn_zone")
    assert zone.startswith("$binary_remote_addr zone=hromada_per_address:"), zone
    assert one("limit_conn") == "hromada_per_address 32"


def test_the_app_is_told_who_asked_and_how():
    headers = dict(value.split(None, 1) for value in directives("proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$hromada_forwarded_proto"
    assert headers["Host"] == "$host"
    # The scheme passed on is the load balancer's https, or this connection's own.
    assert re.search(r"map \$http_x_forwarded_proto \$hromada_forwarded_proto \{\s*default \$scheme;", CONF.read_text())


def test_the_proxy_refuses_bodies_above_the_largest_upload_and_nothing_the_app_accepts():
    """One number: settings.UPLOAD_MAX_MB, the largest file; the proxy allows 1 MB more for the form
    around it. Every fixed upload limit and Django's own limit on form data fit below it."""
    limit = one("client_max_body_size")
    assert limit == f"{settings.UPLOAD_MAX_MB + 1}m", (
        f"client_max_body_size {limit}, UPLOAD_MAX_MB {settings.UPLOAD_MAX_MB}"
    )
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.UPLOAD_MAX_MB * MB
    for name, size in (
        ("grantee report documents", MAX_DOCUMENT_MB * MB),
        ("imports", IMPORT_MAX_BYTES),
        ("grant agreements", AGREEMENT_MAX_BYTES),
    ):
        assert size <= settings.UPLOAD_MAX_MB * MB, f"{name} accept more than the proxy lets through"
