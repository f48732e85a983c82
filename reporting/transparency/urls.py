from django.urls import path

from reporting.transparency import views

app_name = "transparency"
urlpatterns = [
    path("transparency/", views.index, name="index"),
    path("transparency/grants/", views.grant_list, name="grant_list"),
    path("transparency/grants.csv", views.grant_list_csv, name="grant_list_csv"),
    path("transparency/grants/<int:pk>/", views.grant_detail, name="grant_detail"),
    path("transparency/practices/", views.practice_list, name="practice_list"),
    path("transparency/practices/<int:pk>/", views.practice_detail, name="practice_detail"),
    path("transparency/practices/<int:pk>/<slug:action>/", views.practice_action, name="practice_action"),
    path("transparency/photos/<int:photo_id>/", views.practice_photo, name="practice_photo"),
    path("reporting/grants/<int:grant_id>/practices/", views.grant_practices, name="grant_practices"),
    path("transparency/audit/", views.audit, name="audit"),
    path("transparency/audit/heads.json", views.audit_heads_json, name="audit_heads"),
    path("transparency/data/", views.data, name="data"),
    path("transparency/data/datapackage.json", views.data_package, name="data_package"),
]
