from rest_framework.routers import SimpleRouter

from workers.api import NotificationViewSet

app_name = "api-notifications"
router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
