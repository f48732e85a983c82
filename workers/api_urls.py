from core.api.routers import Router
from workers.api import NotificationViewSet

app_name = "api-notifications"
router = Router()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
