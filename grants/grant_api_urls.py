from rest_framework.routers import SimpleRouter

from .grant_api import AmendmentViewSet, ExchangeRateViewSet, GrantViewSet, PaymentViewSet, TrancheViewSet

router = SimpleRouter()
router.register("grants", GrantViewSet, basename="grant")
router.register("tranches", TrancheViewSet, basename="tranche")
router.register("payments", PaymentViewSet, basename="payment")
router.register("amendments", AmendmentViewSet, basename="amendment")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
urlpatterns = router.urls
