"""The session and the logged-in user are read with SQL written once (accounts.sessions,
accounts.backends, config.hotpath) instead of ORM queries: who is logged in, and who is not,
must be exactly what Django's database sessions and authentication backends decide."""
import json
from datetime import timedelta

import pytest
from allauth.account import auth_backends as allauth_backends
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import backends as django_backends
from django.contrib.sessions.backends import db as django_db_sessions
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import backends as hot_backends
from accounts import sessions as hot_sessions
from accounts.models import User, UserSession
from applications import services
from applications.models import Application
from tests.factories import call_full

PASSWORD = "correct-horse-battery"  # what tests/conftest.py make_user sets
HOT_BACKENDS = ("accounts.backends.ModelBackend", "accounts.backends.AuthenticationBackend")


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
    assert UserSession.objects.filter(session_key=session_key_of(client)).update(
        expire_date=timezone.now() - timedelta(seconds=1)) == 1


def sends_to_login(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("account_login"))


def autosave(client, app, **fields):
    return client.post(reverse("applications:application_autosave", args=[app.pk]), content_type="application/json",
                       data=json.dumps({"version": app.version, "fields": fields}))


def assert_session_expired_json(response):
    assert response.status_code == 401
    assert "session has expired" in response.json()["detail"]


def dashboard_user(client):
    response = client.get(reverse("dashboard"))
    return response, response.wsgi_request.user


# --- the session -----------------------------------------------------------------------------

def test_sessions_and_users_are_read_by_the_hot_path(logged_in, user):
    assert settings.SESSION_ENGINE == "accounts.sessions"
    assert isinstance(logged_in.session, hot_sessions.SessionStore)
    assert logged_in.session[BACKEND_SESSION_KEY] in HOT_BACKENDS
    assert set(HOT_BACKENDS) <= set(settings.AUTHENTICATION_BACKENDS)
    assert not {"django.contrib.auth.backends.ModelBackend",
                "allauth.account.auth_backends.AuthenticationBackend"} & set(settings.AUTHENTICATION_BACKENDS)


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


@pytest.mark.parametrize("cookie", ["0123456789abcdefghijklmnopqrstuv", "short", "x'OR'1'='1'--",
                                    "z" * 100, "%D0%BA%D0%BB%D1%8E%D1%87"],
                         ids=["unknown", "too-short", "sql-like", "too-long", "percent-encoded"])
def test_unknown_or_garbled_session_cookie_is_anonymous(logged_in, draft, cookie):
    stranger = Client()
    stranger.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response, request_user = dashboard_user(stranger)
    assert sends_to_login(response) and not request_user.is_authenticated
    assert_session_expired_json(autosave(stranger, draft, title="Not mine"))
    assert dashboard_user(logged_in)[0].status_code == 200  # the real session is untouched


class DjangoStore(django_db_sessions.SessionStore):
    """Django's own database session store, on the same table."""

    @classmethod
    def get_model_class(cls):
        return UserSession


DjangoStore.__qualname__ = "SessionStore"  # session data is signed with the store's class name as salt


def make_session(expire_in: timedelta) -> str:
    store = DjangoStore()
    store["hello"] = "Привіт"
    store.create()
    UserSession.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expire_in)
    return store.session_key


@pytest.mark.parametrize("state", ["valid", "expired", "unknown", "none"])
def test_session_load_equals_djangos_database_sessions(db, state):
    key = {"valid": lambda: make_session(timedelta(hours=1)), "expired": lambda: make_session(timedelta(seconds=-1)),
           "unknown": lambda: "abcdefgh12345678abcdefgh12345678", "none": lambda: None}[state]()
    ours, django_s = hot_sessions.SessionStore(key), DjangoStore(key)

    assert ours.load() == django_s.load() == ({"hello": "Привіт"} if state == "valid" else {})
    assert ours.session_key == django_s.session_key == (key if state == "valid" else None)


def test_logging_out_makes_the_old_session_cookie_anonymous_even_replayed(logged_in):
    old_key = session_key_of(logged_in)
    assert logged_in.post(reverse("account_logout")).status_code == 302
    assert not UserSession.objects.filter(session_key=old_key).exists()
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
    assert not UserSession.objects.filter(session_key=phone_key).exists()  # flushed, as Django does


def test_session_with_a_wrong_auth_hash_is_anonymous(logged_in):
    session = logged_in.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    response, request_user = dashboard_user(logged_in)
    assert sends_to_login(response) and not request_user.is_authenticated


def test_changing_a_users_other_fields_keeps_them_logged_in(logged_in, user):
    User.objects.filter(pk=user.pk).update(full_name="Олена Коваленко", language="uk",
                                           last_login=timezone.now())
    response, request_user = dashboard_user(logged_in)
    assert response.status_code == 200 and request_user.full_name == "Олена Коваленко"


@pytest.mark.parametrize("ours, theirs", [(hot_backends.ModelBackend, django_backends.ModelBackend),
                                          (hot_backends.AuthenticationBackend, allauth_backends.AuthenticationBackend)],
                         ids=["django", "allauth"])
def test_backends_get_user_agrees_with_the_backends_they_replace(make_user, ours, theirs):
    active, inactive = make_user(email="active@example.org"), make_user(email="inactive@example.org", is_active=False)
    User.objects.filter(pk=active.pk).update(last_login=timezone.now())
    missing = User.objects.order_by("-pk").first().pk + 1000

    for user_id in (active.pk, inactive.pk, missing):
        hot, orm = ours().get_user(user_id), theirs().get_user(user_id)
        assert (hot is None) == (orm is None), user_id
        if orm is not None:
            assert {f.attname: getattr(hot, f.attname) for f in User._meta.concrete_fields} == \
                   {f.attname: getattr(orm, f.attname) for f in User._meta.concrete_fields}
    assert ours().get_user(active.pk) is not None and ours().get_user(inactive.pk) is None


def test_login_through_the_form_stores_a_hot_path_backend_and_the_next_request_is_logged_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]

    session = client.session
    assert session[BACKEND_SESSION_KEY] in HOT_BACKENDS
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


# --- the session read with its user and their roles ------------------------------------------

def test_the_session_row_names_its_user_from_login_to_logout(client, user):
    client.get(reverse("account_login"))  # an anonymous visitor's session, if the page made one
    assert not UserSession.objects.exclude(user=None).exists()

    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    key = session_key_of(client)
    assert UserSession.objects.get(session_key=key).user_id == user.pk

    client.post(reverse("account_logout"))
    assert not UserSession.objects.filter(user=user).exists()


def test_deleting_a_user_deletes_their_sessions(user, logged_in):
    phone = Client()
    phone.force_login(user)
    assert UserSession.objects.filter(user=user).count() == 2
    User.objects.get(pk=user.pk).delete()
    assert not UserSession.objects.filter(user_id=user.pk).exists()
    assert sends_to_login(dashboard_user(logged_in)[0])


def test_an_autosave_reads_session_user_and_roles_in_one_statement(logged_in, user, draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = autosave(logged_in, draft, title="One read for who I am")
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    # the session with its user and roles, the draft, the compare-and-set write
    assert len(sql) == 3, sql
    assert UserSession._meta.db_table in sql[0] and User._meta.db_table in sql[0]
    assert not any("accounts_membership" in s for s in sql[1:]), sql


def test_roles_read_with_the_session_equal_the_roles_read_on_their_own(user, logged_in, make_org, programme, grant_role):
    from grants.calls.models import Programme

    from accounts import roles

    make_org(user, country="UA")
    other_org = make_org(user, country="GE")
    other = Programme.objects.create(code="eu4i-2", title="Second", budget=programme.budget, starts_on=programme.starts_on,
                                     ends_on=programme.ends_on, countries=["UA"])
    grant_role(user, programme, "manager")
    grant_role(user, other, "reviewer")
    grant_role(user, programme, "donor")

    request_user = dashboard_user(logged_in)[1]
    assert request_user._hromada_org_roles  # cached by the session read, no query of their own
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


def test_the_user_column_never_decides_who_is_logged_in(user, logged_in, make_user):
    """A session row naming another user (however it came about) is not taken: the user comes
    from the signed session data, read on its own."""
    mallory = make_user(email="mallory@example.org")
    UserSession.objects.filter(session_key=session_key_of(logged_in)).update(user=mallory)
    response, request_user = dashboard_user(logged_in)
    assert response.status_code == 200 and request_user.pk == user.pk and request_user.email == user.email


def test_the_nightly_task_deletes_expired_sessions_and_keeps_live_ones(user, logged_in):
    from accounts.tasks import sessions_clear_expired
    from workers.celery import app

    live = session_key_of(logged_in)
    gone = make_session(timedelta(seconds=-1))
    assert sessions_clear_expired() == 1
    assert set(UserSession.objects.values_list("session_key", flat=True)) == {live}
    assert dashboard_user(logged_in)[0].status_code == 200
    assert any(entry["task"] == "accounts.tasks.sessions_clear_expired" for entry in app.conf.beat_schedule.values())
    assert gone not in UserSession.objects.values_list("session_key", flat=True)
