from rest_framework.routers import SimpleRouter

from .api import DonorReportViewSet, GranteeReportViewSet

router = SimpleRouter()
router.register("grantee-reports", GranteeReportViewSet, basename="grantee-report")
router.register("donor-reports", DonorReportViewSet, basename="donor-report")
urlpatterns = router.urls
