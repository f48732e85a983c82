"""The authentication backends in use: Django's and allauth's, with the logged-in user read by one
SQL statement (config.hotpath) on each request instead of an ORM query; nothing else differs."""
from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model

from config import hotpath


class _UserById:
    def get_user(self, user_id):
        user = hotpath.instance_get(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_UserById, backends.ModelBackend):
    pass


class AuthenticationBackend(_UserById, auth_backends.AuthenticationBackend):
    pass
