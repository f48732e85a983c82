from accounts.api import OrganisationViewSet
from core.api.routers import Router

app_name = "api-accounts"
router = Router()
router.register("organisations", OrganisationViewSet, basename="organisation")
urlpatterns = router.urls
