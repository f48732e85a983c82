from rest_framework.routers import SimpleRouter

from .review_api import AssignmentViewSet, DecisionViewSet, RankingViewSet, ReviewerViewSet, ReviewViewSet

router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("reviewers", ReviewerViewSet, basename="reviewer")
router.register("rankings", RankingViewSet, basename="ranking")
router.register("decisions", DecisionViewSet, basename="decision")
urlpatterns = router.urls
