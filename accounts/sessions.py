"""Django's database sessions, kept in `accounts.UserSession` (the session plus the logged-in
user's id) and read with one SQL statement that also reads that user and their roles: on each
request of a logged-in user, one round trip to the database instead of four (see config.hotpath).

Who is logged in is still decided by Django: `auth.get_user` checks the session's backend and
auth hash as always, and the user read here only spares the backend its own read of the same row
(accounts.backends). Writing, expiry and clean-up are Django's own."""
from functools import lru_cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone

from config import hotpath

from accounts import roles


def session_user_id(data: dict):
    """The user id Django's auth keeps in the session data, as the user model's pk (None if absent
    or malformed: such a session is anonymous to Django too)."""
    try:
        return get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
    except (ValidationError, TypeError, ValueError):
        return None


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = session_user_id(data)
        return instance

    @classmethod
    def clear_expired(cls) -> int:
        """Django's (used by `clearsessions` and the nightly task), also saying how many went."""
        deleted, _by_model = cls.get_model_class().objects.filter(expire_date__lt=timezone.now()).delete()
        return deleted

    def load(self):
        self.user_read = None
        if self.session_key is None:
            return {}
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        user_model = get_user_model()
        user_fields = hotpath.model_fields(user_model)
        with connection.cursor() as cursor:
            cursor.execute(_load_sql(alias, connection.vendor),
                           [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data = self.decode(row[0])
        if row[1] is not None:
            values = hotpath.row_convert(alias, user_fields, row[1:1 + len(user_fields)])
            user = user_model.from_db(alias, [f.attname for f in user_fields], values)
            roles.roles_remember(user, *row[1 + len(user_fields):])
            self.user_read = user
        return data

    def user_read_for(self, user_id):
        """The user this session's row was read with, if it is `user_id`; otherwise None."""
        self._get_session()  # loads the session (and its user) if this request has not yet
        user = getattr(self, "user_read", None)
        return user if user is not None and user.pk == user_id else None


@lru_cache(maxsize=None)
def _load_sql(alias: str, vendor: str) -> str:
    from accounts.models import UserSession

    connection = connections[alias]
    quote = connection.ops.quote_name
    session = UserSession._meta
    user_model = get_user_model()
    user_meta = user_model._meta
    user_id = f"u.{quote(user_meta.pk.column)}"
    return (f"SELECT s.{quote('session_data')}, {hotpath.columns_sql(connection, hotpath.model_fields(user_model), 'u')}, "
            f"{roles.roles_select_sql(connection, user_id)} "
            f"FROM {quote(session.db_table)} s LEFT JOIN {quote(user_meta.db_table)} u "
            f"ON {user_id} = s.{quote(session.get_field('user').column)} "
            f"WHERE s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s")
