from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from grants.calls.views import home
from reporting.views import dashboard

# Each area keeps its own namespaced URL module (its `app_name`); API modules are mounted together
# under /api/v1/, in the order of the sub-domains (see CONTRIBUTING.md).
PAGES = [
    "accounts.urls",
    "grants.calls.urls",
    "applications.urls",
    "applications.conversations.urls",
    "applications.call_questions.urls",
    "applications.review.urls",
    "grants.urls",
    "reporting.grantee.urls",
    "reporting.donor.urls",
    "reporting.data.urls",
    "reporting.transparency.urls",
    "workers.urls",
]
API = [
    "accounts.api_urls",
    "grants.calls.api_urls",
    "applications.api_urls",
    "applications.conversations.api_urls",
    "applications.review.api_urls",
    "grants.api_urls",
    "reporting.grantee.api_urls",
    "reporting.donor.api_urls",
    "reporting.data.api_urls",
    "workers.api_urls",
]

# The admin signs in through the site's own sign-in page (its rate limits, its second factor).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
# Branded for the site's administrators; programme teams are managed in the product itself.
admin.site.site_header = admin.site.site_title = "Hromada"
admin.site.index_title = _("Site administration")
admin.site.site_url = "/"

urlpatterns = [
    path("", home, name="home"),
    path("dashboard/", dashboard, name="dashboard"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
    *[path("", include(module)) for module in PAGES],
    *[path("api/v1/", include(module)) for module in API],
]

handler404 = "core.api.errors.not_found"  # JSON under /api/ (an id that is not a number, an unknown path)
