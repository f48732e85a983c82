"""Exports, imports, the PDFs of one application or grant, and open data (public)."""

from django.urls import path

from reporting.data import views

app_name = "data"

urlpatterns = [
    path("reporting/applications/<int:pk>/pdf/", views.application_pdf_view, name="application_pdf"),
    path("reporting/grants/<int:pk>/summary.pdf", views.grant_summary_pdf_view, name="grant_summary_pdf"),
    path("reporting/grants/<int:pk>/summary/", views.grant_summary_html_view, name="grant_summary_html"),
    path("reporting/applications/<int:pk>/print/", views.application_html_view, name="application_html"),
    path("reporting/exports/", views.export_list, name="export_list"),
    path("reporting/exports/<slug:kind>.<str:file_format>", views.export_download, name="export_download"),
    path("reporting/exports/jobs/<int:pk>/", views.export_job, name="export_job"),
    path("reporting/exports/jobs/<int:pk>/download/", views.export_job_download, name="export_job_download"),
    path("reporting/exports/jobs/<int:pk>/retry/", views.export_job_retry, name="export_job_retry"),
    path("reporting/imports/organisations/", views.import_organisations, name="import_organisations"),
    path("reporting/imports/reviewers/", views.import_reviewers, name="import_reviewers"),
    path("reporting/imports/indicators/", views.import_indicators, name="import_indicators"),
    path("reporting/imports/exchange-rates/", views.import_exchange_rates, name="import_exchange_rates"),
    path("reporting/imports/<slug:kind>/example.csv", views.import_example, name="import_example"),
    path("open-data/", views.opendata_index, name="opendata_index"),
    path(
        "open-data/<slug:programme_code>/<slug:call_code>/360giving.json",
        views.opendata_360_json,
        name="opendata_360_json",
    ),
    path(
        "open-data/<slug:programme_code>/<slug:call_code>/360giving.csv",
        views.opendata_360_csv,
        name="opendata_360_csv",
    ),
    path("open-data/<slug:programme_code>/<slug:call_code>/iati.xml", views.opendata_iati, name="opendata_iati"),
]
