from rest_framework.routers import SimpleRouter

from reporting.donor.api import DonorReportViewSet

app_name = "api-donor"
router = SimpleRouter()
router.register("donor-reports", DonorReportViewSet, basename="donor-report")
urlpatterns = router.urls
