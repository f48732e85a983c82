"""The production shape (Dockerfile, docker-compose.yml) points at code that exists, passes
only settings that settings.py reads, and production settings pass `check --deploy`.

No Docker engine is needed: the files are read, the modules they name are imported, and
`manage.py` runs in a subprocess with the environment production would give it."""

import importlib
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SETTINGS = ROOT / "config" / "settings.py"
APP_SERVICES = ("web", "worker", "beat")
# Dockerfile ENV names that are for Python, uv and the shell, not for Django's settings.
RUNTIME_ENV = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}


# --- Reading the files ----------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def words(command) -> list[str]:
    """A compose or Dockerfile command as words; a `sh -c "..."` script is split too."""
    if isinstance(command, str):
        command = shlex.split(command)
    if len(command) >= 3 and command[0] in ("sh", "/bin/sh", "bash") and command[1] == "-c":
        return shlex.split(command[2])
    return list(command)


def option_value(tokens: list[str], *names: str) -> str:
    for i, token in enumerate(tokens):
        for name in names:
            if token == name:
                return tokens[i + 1]
            if token.startswith(name + "="):
                return token.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {tokens}")


def import_target(spec: str, default_attr: str):
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    attr = attr or default_attr
    assert hasattr(module, attr), f"{module_name} has no attribute {attr!r}"
    return getattr(module, attr)


def gunicorn_app(tokens: list[str]) -> str:
    """The WSGI app spec gunicorn is started with: its first positional argument."""
    assert "gunicorn" in tokens, f"gunicorn is not started: {tokens}"
    rest = tokens[tokens.index("gunicorn") + 1 :]
    takes_value = {"--bind", "-b", "--workers", "-w", "--access-logfile", "--error-logfile", "-c", "--config"}
    i = 0
    while i < len(rest):
        if rest[i] in takes_value:
            i += 2
        elif rest[i].startswith("-"):
            i += 1
        else:
            return rest[i]
    raise AssertionError(f"gunicorn is given no application: {tokens}")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    pairs = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        pairs.append((instruction.upper(), args.strip()))
    return pairs


def exec_form(args: str) -> list[str]:
    if args.startswith("["):
        return yaml.safe_load(args)  # JSON is YAML
    return ["sh", "-c", args]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for instruction, args in dockerfile_instructions():
        if instruction == "ENV":
            for pair in shlex.split(args):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def service_env(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def settings_reads(name: str) -> bool:
    """settings.py reads NAME from the environment (env.str("NAME", ...), env.db("NAME"), ...)."""
    return re.search(r"env(?:\.\w+)?\(\s*[\"']" + re.escape(name) + r"[\"']", SETTINGS.read_text()) is not None


def interpolate(value: str, shell: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, against the operator's shell."""

    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if shell.get(name):
            return shell[name]
        if op == ":?":
            raise AssertionError(f"compose refuses to start without {name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


# --- docker-compose.yml ---------------------------------------------------------------------
def test_compose_has_the_six_services():
    services = compose()["services"]
    for name in ("proxy", "web", "worker", "beat", "db", "redis"):
        assert name in services, f"docker-compose.yml has no {name} service"
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]


def test_web_migrates_then_serves_the_wsgi_application_to_the_proxy_only():
    web = compose()["services"]["web"]
    tokens = words(web["command"])
    assert "migrate" in tokens and tokens.index("migrate") < tokens.index("gunicorn"), tokens
    spec = gunicorn_app(tokens)
    assert spec == "config.wsgi:application"
    assert callable(import_target(spec, "application"))
    bind_port = option_value(tokens, "--bind", "-b").rsplit(":", 1)[1]
    exposed = [str(port) for port in web.get("expose", [])]
    assert bind_port in exposed, f"gunicorn binds {bind_port}, compose exposes {exposed} to the other services"
    # Clients reach gunicorn only through the proxy (tests/config/test_reverse_proxy.py): a port
    # published on the host would let slow clients at its threads.
    published = [str(port) for port in web.get("ports", [])]
    assert all(port.startswith("127.0.0.1:") for port in published), f"web publishes {published}"
    for dependency in ("db", "redis"):
        assert web["depends_on"][dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("service, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_the_importable_celery_app(service, subcommand):
    tokens = words(compose()["services"][service]["command"])
    assert tokens[0] == "celery", tokens
    app_spec = option_value(tokens, "-A", "--app")
    assert app_spec.partition(":")[0] == "workers.celery", app_spec
    app = import_target(app_spec, "app")
    assert isinstance(app, Celery), f"{app_spec} is a {type(app).__name__}, not a Celery app"
    assert subcommand in tokens[tokens.index(app_spec) + 1 :], f"{service} does not run `celery {subcommand}`"
    if subcommand == "beat":
        assert app.conf.beat_schedule, "beat would run with an empty schedule"
        # beat writes its state file; the default (./celerybeat-schedule) is in the code
        # directory, which the unprivileged user cannot write: beat dies at start.
        workdir = [args for instruction, args in dockerfile_instructions() if instruction == "WORKDIR"][-1]
        schedule = option_value(tokens, "--schedule", "-s")
        assert schedule.startswith("/") and not schedule.startswith(workdir.rstrip("/") + "/"), schedule


def test_every_build_context_has_a_dockerfile():
    built = 0
    for name, service in compose()["services"].items():
        build = service.get("build")
        if build is None:
            continue
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (ROOT / context / dockerfile).is_file(), f"{name} builds {context}/{dockerfile}, which is missing"
        built += 1
    assert all("build" in compose()["services"][name] for name in APP_SERVICES)
    assert built >= len(APP_SERVICES)


def test_compose_passes_only_variables_that_settings_read():
    services = compose()["services"]
    passed = set()
    for name in APP_SERVICES:
        passed |= set(service_env(services[name]))
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"} <= passed
    unread = sorted(name for name in passed if not settings_reads(name))
    assert not unread, f"compose passes {unread}, which config/settings.py never reads"
    assert service_env(services["web"])["DEBUG"] == "false"


# --- Dockerfile -----------------------------------------------------------------------------
def test_dockerfile_cmd_serves_an_importable_wsgi_application():
    instructions = dockerfile_instructions()
    cmds = [args for instruction, args in instructions if instruction == "CMD"]
    assert cmds, "the Dockerfile has no CMD"
    tokens = words(exec_form(cmds[-1]))  # the last CMD is the one that counts
    spec = gunicorn_app(tokens)
    assert callable(import_target(spec, "application"))
    assert spec == compose_web_spec(), "the image and compose serve different WSGI applications"
    exposed = [args for instruction, args in instructions if instruction == "EXPOSE"]
    assert option_value(tokens, "--bind", "-b").rsplit(":", 1)[1] in " ".join(exposed).split()


def compose_web_spec() -> str:
    return gunicorn_app(words(compose()["services"]["web"]["command"]))


def test_dockerfile_runs_unprivileged_with_the_venv_on_path():
    instructions = dockerfile_instructions()
    base = [args for instruction, args in instructions if instruction == "FROM"]
    assert base[0].startswith("python:3.11-slim-bookworm")
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the container runs as root"
    workdir = [args for instruction, args in instructions if instruction == "WORKDIR"][-1]
    env = dockerfile_env()
    venv = env.get("UV_PROJECT_ENVIRONMENT", f"{workdir}/.venv")
    # compose commands say `python`, `gunicorn`, `celery`: they must resolve into uv's venv.
    assert f"{venv}/bin" in env.get("PATH", "").split(":"), "the venv's bin/ is not on PATH"
    runs = " ".join(args for instruction, args in instructions if instruction == "RUN")
    assert "uv sync --frozen --no-dev" in runs
    assert "compilemessages" in runs and "collectstatic --noinput" in runs
    unread = sorted(
        name for name in env if name not in RUNTIME_ENV and not name.startswith("UV_") and not settings_reads(name)
    )
    assert not unread, f"the Dockerfile sets {unread}, which config/settings.py never reads"


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", "var", "db.sqlite3*", ".git", ".env"):
        assert entry in ignored, f".dockerignore does not exclude {entry}"


# --- Production settings --------------------------------------------------------------------
def manage(*args, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=180
    )


def dotenv_defines(name: str) -> bool:
    dotenv = ROOT / ".env"
    return dotenv.exists() and re.search(rf"^\s*(export\s+)?{name}\s*=", dotenv.read_text(), re.M) is not None


def production_env(tmp_path) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "ALLOWED_HOSTS": "hromada.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "OPENDATA_360G_PREFIX": "360G-eu4i",
        "OPENDATA_IATI_REPORTING_ORG": "XM-DAC-47000",
        "OPENDATA_PUBLISHER_NAME": "EU for Integrity programme",
    }


def test_production_settings_pass_check_deploy(tmp_path):
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) == 60 and env["DATABASE_URL"].startswith("sqlite:////")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_compose_environment_passes_check_deploy():
    """What docker-compose.yml gives the app containers, defaults and all, is deploy-safe."""
    shell = {
        "SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "ALLOWED_HOSTS": "hromada.example.org",
        "SITE_URL": "https://hromada.example.org",
        "OPENDATA_360G_PREFIX": "360G-eu4i",
        "OPENDATA_IATI_REPORTING_ORG": "XM-DAC-47000",
        "OPENDATA_PUBLISHER_NAME": "EU for Integrity programme",
    }
    env = {name: interpolate(value, shell) for name, value in service_env(compose()["services"]["web"]).items()}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)  # no --database: no connection
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_development_key_fails_check_deploy(tmp_path):
    """The check above can fail: the short, well-known development key is a deploy warning."""
    env = {**production_env(tmp_path), "SECRET_KEY": "dev-only-insecure-key-change-me"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_settings_refuse_to_load_without_secret_key(tmp_path):
    if dotenv_defines("SECRET_KEY"):
        pytest.skip(".env defines SECRET_KEY, so settings would read it from there")
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr, result.stderr


def test_production_requires_the_open_data_publisher(tmp_path):
    """The 360Giving prefix and the IATI reporting organisation are the publisher's own: there is
    no default in production (the development prefix was never assigned)."""
    env = {k: v for k, v in production_env(tmp_path).items() if k != "OPENDATA_360G_PREFIX"}
    result = manage("check", "--deploy", env=env)
    assert result.returncode != 0 and "OPENDATA_360G_PREFIX" in result.stderr
