from rest_framework.routers import SimpleRouter

from grants.calls.api import CallViewSet, ProgrammeViewSet

app_name = "api-calls"
router = SimpleRouter()
router.register("calls", CallViewSet, basename="call")
router.register("programmes", ProgrammeViewSet, basename="programme")
urlpatterns = router.urls
