"""Grantee reports: the schedule, the report form, documents, approval."""

from django.urls import path

from reporting.grantee import views

app_name = "reports"

urlpatterns = [
    path("reporting/reports/", views.report_list, name="report_list"),
    path("reporting/reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reporting/reports/<int:pk>/save/", views.report_save, name="report_save"),
    path("reporting/reports/<int:pk>/approve/", views.report_decide, {"decision": "approve"}, name="report_approve"),
    path(
        "reporting/reports/<int:pk>/request-changes/",
        views.report_decide,
        {"decision": "request_changes"},
        name="report_request_changes",
    ),
    path("reporting/reports/<int:pk>/ineligible/", views.report_ineligible, name="report_ineligible"),
    path("reporting/reports/<int:pk>/move/", views.report_move, name="report_move"),
    path("reporting/reports/<int:pk>/documents/", views.report_document_add, name="report_document_add"),
    path("reporting/documents/<int:document_id>/", views.report_document_download, name="report_document_download"),
    path("reporting/documents/<int:document_id>/remove/", views.report_document_remove, name="report_document_remove"),
    path("reporting/grants/<int:grant_id>/reports/", views.grant_reports, name="grant_reports"),
    path(
        "reporting/grants/<int:grant_id>/reports/schedule/", views.grant_reports_schedule, name="grant_reports_schedule"
    ),
]
