"""Django's database sessions, read with one SQL statement instead of an ORM query: the session
is read on every request of a logged-in user (see config.hotpath). Writing, expiry and clean-up
are Django's own."""
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        if self.session_key is None:
            return {}
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        meta = self.model._meta
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {quote(meta.db_table)} "
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
