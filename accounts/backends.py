"""The authentication backends in use: Django's and allauth's, with the logged-in user read by one
SQL statement (config.hotpath) instead of an ORM query, or taken from the session's own read when
the session row was read with that user (accounts.sessions); nothing else differs."""
from contextlib import contextmanager
from contextvars import ContextVar

from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model

from config import hotpath

_session: ContextVar = ContextVar("hromada_session_for_get_user", default=None)


@contextmanager
def session_offering_user(session):
    """While Django's `auth.get_user` runs for a request (accounts.middleware), let the backend
    take the user the request's session was read with."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


class _UserById:
    def get_user(self, user_id):
        session = _session.get()
        user = session.user_read_for(user_id) if session is not None and hasattr(session, "user_read_for") else None
        if user is None:
            user = hotpath.instance_get(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_UserById, backends.ModelBackend):
    pass


class AuthenticationBackend(_UserById, auth_backends.AuthenticationBackend):
    pass
