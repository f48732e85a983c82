from core.api.routers import Router
from reporting.donor.api import DonorReportViewSet, ProgrammeResultsViewSet

app_name = "api-donor"
router = Router()
router.register("donor-reports", DonorReportViewSet, basename="donor-report")
router.register("programme-results", ProgrammeResultsViewSet, basename="programme-results")
urlpatterns = router.urls
