from django.urls import path

from applications import views
from applications.views import call_dates, calls
from applications.views.indicators import application_indicators

app_name = "applications"
urlpatterns = [
    # a call's pages seen from applying (applications/views/calls.py)
    path("calls/<int:pk>/", calls.call_detail, name="call_detail"),
    path("manage/calls/<int:pk>/", calls.call_manage, name="call_manage"),
    path(
        "manage/calls/<int:pk>/dates/<str:action>/",
        call_dates.call_dates_change,
        name="call_dates_change",
    ),
    path("calls/<int:pk>/apply/", views.call_apply, name="call_apply"),
    path("calls/<int:pk>/eligibility/", views.call_eligibility, name="call_eligibility"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/indicators/", application_indicators, name="application_indicators"),
    path("applications/<int:pk>/autosave/", views.application_autosave, name="application_autosave"),
    path("applications/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/receipt/", views.application_receipt, name="application_receipt"),
    path("applications/<int:pk>/submitted.json", views.application_submitted_json, name="application_submitted_json"),
    path("applications/<int:pk>/export.<str:fmt>", views.application_export, name="application_export"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/clarification/", views.application_answer, name="application_answer"),
    path("applications/<int:pk>/screen/<str:action>/", views.application_screen, name="application_screen"),
    path("applications/<int:pk>/extend/", views.application_extend, name="application_extend"),
    path("manage/calls/<int:pk>/applications/", views.call_applications, name="call_applications"),
    path("manage/calls/<int:pk>/applications/selected/", views.call_applications_bulk, name="call_applications_bulk"),
    path(
        "manage/calls/<int:pk>/applications/export.<str:fmt>",
        views.call_applications_export,
        name="call_applications_export",
    ),
]
