from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Programmes, calls and grants")

    def ready(self):
        # Disbursement listens to grantee reports (an app-loading import: it connects receivers).
        from grants.disbursement import receivers  # noqa: F401
