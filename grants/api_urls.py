from rest_framework.routers import SimpleRouter

from .api import CallViewSet, ProgrammeViewSet

router = SimpleRouter()
router.register("calls", CallViewSet, basename="call")
router.register("programmes", ProgrammeViewSet, basename="programme")
urlpatterns = router.urls
