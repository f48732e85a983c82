from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from grants.views import home
from reporting.views import dashboard

# Each concern keeps its own URL module; API modules are mounted together under /api/v1/.
PAGES = ["accounts.urls", "grants.urls", "applications.urls", "applications.review_urls", "grants.grant_urls",
         "reporting.urls", "workers.urls"]
API = ["accounts.api_urls", "grants.api_urls", "applications.api_urls", "applications.review_api_urls",
       "grants.grant_api_urls", "reporting.api_urls", "workers.api_urls"]

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
