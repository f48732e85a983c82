from rest_framework.routers import SimpleRouter

from reporting.grantee.api import GranteeReportViewSet

app_name = "api-reports"
router = SimpleRouter()
router.register("grantee-reports", GranteeReportViewSet, basename="grantee-report")
urlpatterns = router.urls
