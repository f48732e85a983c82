from django.urls import path

from applications.conversations.api import ApplicationMessagesView, GrantMessagesView, ThreadViewSet
from core.api.routers import Router

app_name = "api-conversations"
router = Router()
router.register("threads", ThreadViewSet, basename="thread")
urlpatterns = [
    *router.urls,
    path("applications/<int:pk>/messages/", ApplicationMessagesView.as_view(), name="application_messages"),
    path("grants/<int:pk>/messages/", GrantMessagesView.as_view(), name="grant_messages"),
]
