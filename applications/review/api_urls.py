from rest_framework.routers import SimpleRouter

from applications.review.api import AssignmentViewSet, DecisionViewSet, RankingViewSet, ReviewerViewSet, ReviewViewSet

app_name = "api-reviews"
router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("reviewers", ReviewerViewSet, basename="reviewer")
router.register("rankings", RankingViewSet, basename="ranking")
router.register("decisions", DecisionViewSet, basename="decision")
urlpatterns = router.urls
