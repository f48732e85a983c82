from core.api.routers import Router
from grants.calls.api import CallViewSet, ProgrammeViewSet

app_name = "api-calls"
router = Router()
router.register("calls", CallViewSet, basename="call")
router.register("programmes", ProgrammeViewSet, basename="programme")
urlpatterns = router.urls
