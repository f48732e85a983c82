from applications.api import ApplicationViewSet
from core.api.routers import Router

app_name = "api-applications"
router = Router()
router.register("applications", ApplicationViewSet, basename="application")
urlpatterns = router.urls
