from applications.review.api import AssignmentViewSet, DecisionViewSet, RankingViewSet, ReviewerViewSet, ReviewViewSet
from core.api.routers import Router

app_name = "api-reviews"
router = Router()
router.register("reviews", ReviewViewSet, basename="review")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("reviewers", ReviewerViewSet, basename="reviewer")
router.register("rankings", RankingViewSet, basename="ranking")
router.register("decisions", DecisionViewSet, basename="decision")
urlpatterns = router.urls
