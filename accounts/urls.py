from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("language/", views.language_set, name="language_set"),
    path("account/time-zone/", views.time_zone_set, name="time_zone"),
    path("account/api-token/", views.api_token, name="api_token"),
]
