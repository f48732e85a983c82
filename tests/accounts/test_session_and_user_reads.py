"""Who is logged in, and who is not, is what Django's own sessions (cached_db: the cache, then the
database) and authentication backends decide; these are the cases a user would notice."""

import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from applications import services
from applications.models import Application
from tests.factories import call_full

PASSWORD = "correct-horse-battery"  # what tests/conftest.py make_user sets


@pytest.fixture
def user(make_user):
    user = make_user(email="olena@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def draft(user, make_org, programme):
    org = make_org(user, country="UA")
    call = call_full(programme, code="sessions-2026")
    app, _ = services.application_start(actor=user, call_id=call.pk, organisation_id=org.pk)
    return app


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def session_key_of(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def expire(client) -> None:
    """The session's time is up: its row says so and its cached copy is gone, as the cache's own
    timeout (the session's age) would have it."""
    key = session_key_of(client)
    assert Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1)) == 1
    store = SessionStore(session_key=key)
    store._cache.delete(store.cache_key)


def sends_to_login(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("account_login"))


def autosave(client, app, **fields):
    return client.post(
        reverse("applications:application_autosave", args=[app.pk]),
        content_type="application/json",
        data=json.dumps({"version": app.version, "fields": fields}),
    )


def assert_session_expired_json(response):
    assert response.status_code == 401
    assert "session has expired" in response.json()["detail"]


def dashboard_user(client):
    response = client.get(reverse("dashboard"))
    return response, response.wsgi_request.user


def test_logged_in_client_opens_a_page_that_needs_login(logged_in, user):
    response, request_user = dashboard_user(logged_in)
    assert response.status_code == 200
    assert request_user.is_authenticated and request_user.pk == user.pk and request_user.email == user.email


def test_expired_session_is_anonymous_and_sent_to_log_in(logged_in):
    assert dashboard_user(logged_in)[0].status_code == 200
    expire(logged_in)
    response, request_user = dashboard_user(logged_in)
    assert sends_to_login(response) and not request_user.is_authenticated


def test_expired_session_gets_a_401_from_autosave_and_nothing_is_saved(logged_in, draft):
    saved = autosave(logged_in, draft, title="Saved while logged in")
    assert saved.status_code == 200, saved.content
    draft.refresh_from_db()
    assert draft.title == "Saved while logged in"

    expire(logged_in)
    assert_session_expired_json(autosave(logged_in, draft, title="After expiry"))
    assert Application.objects.get(pk=draft.pk).title == "Saved while logged in"


@pytest.mark.parametrize(
    "cookie",
    ["0123456789abcdefghijklmnopqrstuv", "short", "x'OR'1'='1'--", "z" * 100, "%D0%BA%D0%BB%D1%8E%D1%87"],
    ids=["unknown", "too-short", "sql-like", "too-long", "percent-encoded"],
)
def test_unknown_or_garbled_session_cookie_is_anonymous(logged_in, draft, cookie):
    stranger = Client()
    stranger.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response, request_user = dashboard_user(stranger)
    assert sends_to_login(response) and not request_user.is_authenticated
    assert_session_expired_json(autosave(stranger, draft, title="Not mine"))
    assert dashboard_user(logged_in)[0].status_code == 200  # the real session is untouched


def make_session(expire_in: timedelta) -> str:
    store = SessionStore()
    store["hello"] = "Привіт"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expire_in)
    return store.session_key


def test_logging_out_makes_the_old_session_cookie_anonymous_even_replayed(logged_in):
    old_key = session_key_of(logged_in)
    assert logged_in.post(reverse("account_logout")).status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()
    assert sends_to_login(dashboard_user(logged_in)[0])

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response, request_user = dashboard_user(replay)
    assert sends_to_login(response) and not request_user.is_authenticated


# --- the user --------------------------------------------------------------------------------


def test_user_made_inactive_after_login_is_anonymous_on_the_next_request(logged_in, user, draft):
    assert dashboard_user(logged_in)[0].status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response, request_user = dashboard_user(logged_in)
    assert sends_to_login(response) and not request_user.is_authenticated
    assert_session_expired_json(autosave(logged_in, draft, title="By an inactive user"))


def test_deleted_user_is_anonymous(client, make_user):
    gone = make_user(email="gone@example.org")
    client.force_login(gone)
    User.objects.filter(pk=gone.pk).delete()
    response, request_user = dashboard_user(client)
    assert sends_to_login(response) and not request_user.is_authenticated


def test_password_change_ends_every_existing_session(user, logged_in):
    laptop, phone = logged_in, Client()
    phone.force_login(user)
    phone_key = session_key_of(phone)
    assert dashboard_user(phone)[0].status_code == 200

    user.set_password("a-brand-new-passphrase-9")
    user.save()

    for browser in (laptop, phone):
        response, request_user = dashboard_user(browser)
        assert sends_to_login(response) and not request_user.is_authenticated
    assert not Session.objects.filter(session_key=phone_key).exists()  # flushed, as Django does


def test_session_with_a_wrong_auth_hash_is_anonymous(logged_in):
    session = logged_in.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    response, request_user = dashboard_user(logged_in)
    assert sends_to_login(response) and not request_user.is_authenticated


def test_changing_a_users_other_fields_keeps_them_logged_in(logged_in, user):
    User.objects.filter(pk=user.pk).update(full_name="Олена Коваленко", language="uk", last_login=timezone.now())
    response, request_user = dashboard_user(logged_in)
    assert response.status_code == 200 and request_user.full_name == "Олена Коваленко"


def test_login_through_the_form_and_the_next_request_is_logged_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]

    session = client.session
    assert int(session[SESSION_KEY]) == user.pk

    response, request_user = dashboard_user(client)
    assert response.status_code == 200 and request_user.pk == user.pk
    stored = User.objects.get(pk=user.pk)
    assert stored.last_login is not None and request_user.last_login == stored.last_login
    assert timezone.is_aware(request_user.last_login)


def test_login_with_a_wrong_password_stays_anonymous(client, user):
    assert client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"}).status_code == 200
    assert SESSION_KEY not in client.session
    assert sends_to_login(dashboard_user(client)[0])


def test_roles_of_the_logged_in_user_are_the_roles_read_on_their_own(user, logged_in, make_org, programme, grant_role):
    from accounts import roles
    from grants.calls.models import Programme

    make_org(user, country="UA")
    other_org = make_org(user, country="GE")
    other = Programme.objects.create(
        code="eu4i-2",
        title="Second",
        budget=programme.budget,
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
        countries=["UA"],
    )
    grant_role(user, programme, "manager")
    grant_role(user, other, "reviewer")
    grant_role(user, programme, "donor")

    request_user = dashboard_user(logged_in)[1]
    fresh = User.objects.get(pk=user.pk)
    assert roles.organisation_roles(request_user) == roles.organisation_roles(fresh)
    assert roles.organisation_roles(fresh)[other_org.pk] == "owner"
    for role in ("manager", "reviewer", "donor", "finance"):
        assert roles.programme_ids(request_user, role) == roles.programme_ids(fresh, role), role
    assert roles.programme_ids(request_user, "manager") == {programme.pk}


def test_a_membership_ended_between_requests_is_seen_on_the_next(user, logged_in, draft):
    from accounts.models import Membership

    assert autosave(logged_in, draft, title="Still a member").status_code == 200
    Membership.objects.filter(user=user).delete()
    assert autosave(logged_in, draft, title="No longer a member").status_code == 404
    assert Application.objects.get(pk=draft.pk).title == "Still a member"


def test_the_nightly_task_deletes_expired_sessions_and_keeps_live_ones(user, logged_in):
    from accounts.tasks import sessions_clear_expired
    from workers.celery import app

    live = session_key_of(logged_in)
    gone = make_session(timedelta(seconds=-1))
    assert sessions_clear_expired() == 1
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert dashboard_user(logged_in)[0].status_code == 200
    assert any(entry["task"] == "accounts.tasks.sessions_clear_expired" for entry in app.conf.beat_schedule.values())
    assert gone not in Session.objects.values_list("session_key", flat=True)


def test_an_autosave_costs_four_queries_and_takes_the_session_from_the_cache(logged_in, user, draft):
    """The most frequent request of the site: the session comes from the cache; then the user, the
    draft (with its call's deadline and state), the memberships and the compare-and-set write."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert autosave(logged_in, draft, title="Warm").status_code == 200
    draft.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        response = autosave(logged_in, draft, title="Saved with four queries")
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 4, sql
    assert not any("django_session" in s for s in sql), sql
    assert sql[-1].startswith("UPDATE") and "applications_application" in sql[-1]
