"""Donor reports and dashboards, and the manager's list of what waits."""

from django.urls import path

from reporting.donor import views

app_name = "donor"

urlpatterns = [
    path("reporting/donor-reports/", views.donor_report_list, name="donor_report_list"),
    path("reporting/donor-reports/<int:pk>/", views.donor_report_detail, name="donor_report_detail"),
    path("reporting/donor-reports/<int:pk>/report.html", views.donor_report_html, name="donor_report_html"),
    path("reporting/donor-reports/<int:pk>/download/", views.donor_report_download, name="donor_report_download"),
    path("reporting/donor-reports/<int:pk>/retry/", views.donor_report_retry, name="donor_report_retry"),
    path("reporting/programmes/<int:pk>/dashboard/", views.donor_dashboard, name="donor_dashboard"),
    path("reporting/programmes/<int:pk>/charts/<slug:name>.svg", views.donor_chart, name="donor_chart"),
    path("reporting/waiting/", views.manager_dashboard, name="manager_dashboard"),
]
