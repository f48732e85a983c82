from rest_framework.routers import SimpleRouter

from applications.api import ApplicationViewSet

app_name = "api-applications"
router = SimpleRouter()
router.register("applications", ApplicationViewSet, basename="application")
urlpatterns = router.urls
