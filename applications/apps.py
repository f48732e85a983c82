from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Applications and reviews")

    def ready(self):
        # django-rules imports `applications.rules` (applying); review sits above applying and
        # registers its own permissions (an app-loading import: nothing imports review first).
        from applications.review import rules  # noqa: F401
