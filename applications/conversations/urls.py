from django.urls import path

from applications.conversations import views

app_name = "conversations"
urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/send/", views.bulk_message, name="bulk_message"),
    path("applications/<int:pk>/messages/", views.application_thread, name="application_thread"),
    path("grants/<int:grant_pk>/messages/", views.grant_thread, name="grant_thread"),
    path("messages/<str:scope>/<int:pk>/files/<int:attachment_pk>/", views.message_file, name="message_file"),
    path("manage/calls/<int:pk>/applications/message/", views.call_selected_message, name="call_selected_message"),
]
