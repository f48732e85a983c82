from core.api.routers import Router
from reporting.donor.api import DonorReportViewSet

app_name = "api-donor"
router = Router()
router.register("donor-reports", DonorReportViewSet, basename="donor-report")
urlpatterns = router.urls
