"""Shared fixtures. The suite runs on whatever DATABASE_URL names (PostgreSQL in CI) and on
SQLite otherwise; tests that need PostgreSQL or Redis skip on a laptop without them and fail
in CI (HROMADA_REQUIRE_SERVICES=1)."""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from djmoney.money import Money

REQUIRE_SERVICES = os.environ.get("HROMADA_REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    """Test passwords are hashed with MD5: PBKDF2 at a million rounds (production's) costs 0.65 s
    per user, and the suite makes thousands. In-process live servers share this setting.

    Each test process (pytest-xdist runs one per CPU) keeps its files in a folder of its own: file
    names come from database ids, which both processes' databases hand out. The Celery workers the
    integration tests start inherit the folder through the environment."""
    import tempfile
    from pathlib import Path

    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A cache (sessions, sign-in rate limits) of this run's own: a shared Redis keeps keys between
    # runs, and five failed sign-ins of user1@example.org in an earlier run must not throttle this one.
    import uuid

    os.environ["CACHE_KEY_PREFIX"] = f"hromada-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES["default"]["KEY_PREFIX"] = os.environ["CACHE_KEY_PREFIX"] + os.environ.get(
        "PYTEST_XDIST_WORKER", ""
    )
    files = Path(tempfile.mkdtemp(prefix=f"hromada-tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"))
    for name in ("PRIVATE_STORAGE_ROOT", "MEDIA_ROOT"):
        os.environ[name] = str(files / name.lower())
        setattr(settings, name, files / name.lower())


def stored_files(folder: str) -> list[str]:
    """The names of the files directly in `folder` of the private storage (core.storage), sorted."""
    from core.storage import private_storage

    try:
        return sorted(private_storage().listdir(folder)[1])
    except FileNotFoundError:
        return []


S3_TEST_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there


@pytest.fixture
def s3_private_storage(settings):
    """The "private" storage on S3-compatible object storage (django-storages' S3Storage, as
    STORAGE_BACKEND=s3 configures it) with downloads redirected to signed URLs. No S3 server is
    available to the tests: the endpoint is a port where nothing listens, so the URLs are signed
    locally and anything that reached for the network would fail."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "hromada-test",
                "endpoint_url": S3_TEST_ENDPOINT,
                "access_key": "test-key",
                "secret_key": "test-secret",
                "region_name": "eu-central-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "location": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
            },
        },
    }
    settings.PRIVATE_STORAGE_REDIRECT = True
    settings.PRIVATE_STORAGE_URL_SECONDS = 60
    return settings.STORAGES["private"]


def service_missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CI requires it)")
    pytest.skip(reason)


@pytest.fixture
def postgres(transactional_db):
    """Real PostgreSQL with committed data, for row locks, triggers and races."""
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's language: a request or a service that activates a user's
    language (and a test that forgets to reset it) must not decide the next test's wording."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def celery_in_process(settings):
    """Unit tests run tasks in-process; integration tests start a real worker and flip this."""
    from workers.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def make_user(db):
    from accounts.models import User

    counter = {"n": 0}

    def make(email=None, language="en", **extra):
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.org"
        return User.objects.create_user(
            email=email, password="correct-horse-battery", full_name=email.split("@")[0], language=language, **extra
        )

    return make


@pytest.fixture
def make_org(db):
    from accounts.services import organisation_register

    counter = {"n": 0}

    def make(owner, country="UA", **fields):
        counter["n"] += 1
        number = f"{40000000 + counter['n']}"
        defaults = {
            "UA": f"UA-EDR-{number}",
            "GE": f"GE-NAPR-4{number}",
            "AZ": f"AZ-IVI-14{number}",
            "MD": f"MD-IDNO-10036{number}",
            "AM": f"AM-SRALE-{number[:3]}.110.{number[3:]}",
        }
        return organisation_register(
            actor=owner,
            legal_name=fields.pop("legal_name", f"Org {counter['n']}"),
            country=country,
            org_type=fields.pop("org_type", "ngo"),
            registration_id=fields.pop("registration_id", defaults[country]),
            **fields,
        )

    return make


@pytest.fixture
def programme(db):
    from grants.calls.models import Programme

    return Programme.objects.create(
        code="eu4i",
        title="EU for Integrity",
        budget=Money(Decimal("2500000"), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2024, 8, 30),
        countries=["UA", "AM"],
    )


@pytest.fixture
def grant_role(db):
    from accounts.models import ProgrammeRole

    def give(user, programme, role):
        ProgrammeRole.objects.create(user=user, programme=programme, role=role)
        return user

    return give


@pytest.fixture
def make_call(db):
    from grants.calls.models import Call, Criterion

    counter = {"n": 0}

    def make(programme, envelope="500000", criteria=((5, 1, 3), (5, 1, 3)), **fields):
        counter["n"] += 1
        now = timezone.now()
        call = Call.objects.create(
            programme=programme,
            code=f"call-{counter['n']}",
            title=fields.pop("title", f"Call {counter['n']}"),
            envelope=Money(Decimal(envelope), programme.budget.currency),
            min_grant=Decimal("10000"),
            max_grant=fields.pop("max_grant", Decimal("50000")),
            opens_at=fields.pop("opens_at", now - timedelta(days=1)),
            deadline=fields.pop("deadline", now + timedelta(days=30)),
            **fields,
        )
        for i, (max_score, weight, minimum) in enumerate(criteria, start=1):
            Criterion.objects.create(
                call=call,
                position=i,
                name=f"Criterion {i}",
                max_score=Decimal(max_score),
                weight=Decimal(weight),
                minimum=Decimal(minimum),
            )
        return call

    return make
