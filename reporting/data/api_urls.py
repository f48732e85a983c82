from rest_framework.routers import SimpleRouter

from reporting.data.api import ExportJobViewSet

app_name = "api-data"
router = SimpleRouter()
router.register("export-jobs", ExportJobViewSet, basename="export-job")
urlpatterns = router.urls
