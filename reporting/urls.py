from django.urls import path

from . import data_views, donor_views, report_views

urlpatterns = [
    # grantee reports
    path("reporting/reports/", report_views.report_list, name="report_list"),
    path("reporting/reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reporting/reports/<int:pk>/save/", report_views.report_save, name="report_save"),
    path("reporting/reports/<int:pk>/approve/", report_views.report_decide, {"decision": "approve"}, name="report_approve"),
    path("reporting/reports/<int:pk>/request-changes/", report_views.report_decide, {"decision": "request_changes"},
         name="report_request_changes"),
    path("reporting/reports/<int:pk>/ineligible/", report_views.report_ineligible, name="report_ineligible"),
    path("reporting/reports/<int:pk>/move/", report_views.report_move, name="report_move"),
    path("reporting/reports/<int:pk>/documents/", report_views.report_document_add, name="report_document_add"),
    path("reporting/documents/<int:document_id>/", report_views.report_document_download, name="report_document_download"),
    path("reporting/documents/<int:document_id>/remove/", report_views.report_document_remove, name="report_document_remove"),
    path("reporting/grants/<int:grant_id>/reports/", report_views.grant_reports, name="grant_reports"),
    path("reporting/grants/<int:grant_id>/reports/schedule/", report_views.grant_reports_schedule, name="grant_reports_schedule"),
    # PDFs of one application / one grant
    path("reporting/applications/<int:pk>/pdf/", data_views.application_pdf_view, name="application_pdf"),
    path("reporting/grants/<int:pk>/summary.pdf", data_views.grant_summary_pdf_view, name="grant_summary_pdf"),
    # donor reports and dashboards
    path("reporting/donor-reports/", donor_views.donor_report_list, name="donor_report_list"),
    path("reporting/donor-reports/<int:pk>/", donor_views.donor_report_detail, name="donor_report_detail"),
    path("reporting/donor-reports/<int:pk>/download/", donor_views.donor_report_download, name="donor_report_download"),
    path("reporting/donor-reports/<int:pk>/retry/", donor_views.donor_report_retry, name="donor_report_retry"),
    path("reporting/programmes/<int:pk>/dashboard/", donor_views.donor_dashboard, name="donor_dashboard"),
    path("reporting/programmes/<int:pk>/charts/<slug:name>.svg", donor_views.donor_chart, name="donor_chart"),
    path("reporting/waiting/", donor_views.manager_dashboard, name="manager_dashboard"),
    # exports
    path("reporting/exports/", data_views.export_list, name="export_list"),
    path("reporting/exports/<slug:kind>.<str:file_format>", data_views.export_download, name="export_download"),
    path("reporting/exports/jobs/<int:pk>/", data_views.export_job, name="export_job"),
    path("reporting/exports/jobs/<int:pk>/download/", data_views.export_job_download, name="export_job_download"),
    # imports
    path("reporting/imports/organisations/", data_views.import_organisations, name="import_organisations"),
    path("reporting/imports/reviewers/", data_views.import_reviewers, name="import_reviewers"),
    path("reporting/imports/exchange-rates/", data_views.import_exchange_rates, name="import_exchange_rates"),
    path("reporting/imports/<slug:kind>/example.csv", data_views.import_example, name="import_example"),
    # open data (public)
    path("open-data/", data_views.opendata_index, name="opendata_index"),
    path("open-data/<slug:programme_code>/<slug:call_code>/360giving.json", data_views.opendata_360_json,
         name="opendata_360_json"),
    path("open-data/<slug:programme_code>/<slug:call_code>/360giving.csv", data_views.opendata_360_csv,
         name="opendata_360_csv"),
    path("open-data/<slug:programme_code>/<slug:call_code>/iati.xml", data_views.opendata_iati, name="opendata_iati"),
]
