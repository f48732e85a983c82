from django.urls import path

from applications.call_questions import views

app_name = "call_questions"
urlpatterns = [
    path("calls/<int:pk>/questions/ask/", views.call_question_ask, name="ask"),
    path("manage/calls/<int:pk>/questions/", views.call_questions_manage, name="manage"),
]
