from rest_framework.routers import SimpleRouter

from accounts.api import OrganisationViewSet

app_name = "api-accounts"
router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
urlpatterns = router.urls
