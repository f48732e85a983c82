from core.api.routers import Router
from grants.agreements.api import AmendmentViewSet
from grants.disbursement.api import ExchangeRateViewSet, GrantViewSet, PaymentViewSet, TrancheViewSet

app_name = "api-grants"
router = Router()
router.register("grants", GrantViewSet, basename="grant")
router.register("tranches", TrancheViewSet, basename="tranche")
router.register("payments", PaymentViewSet, basename="payment")
router.register("amendments", AmendmentViewSet, basename="amendment")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
urlpatterns = router.urls
