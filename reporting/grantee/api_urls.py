from core.api.routers import Router
from reporting.grantee.api import GranteeReportViewSet

app_name = "api-reports"
router = Router()
router.register("grantee-reports", GranteeReportViewSet, basename="grantee-report")
urlpatterns = router.urls
