from django.contrib import admin

from reporting.data.models import ExportJob
from reporting.donor.models import DonorReport
from reporting.grantee.models import GranteeReport, Indicator


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reports change only through their services (state machines, audit); the admin reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GranteeReport)
class GranteeReportAdmin(ReadOnlyAdmin):
    list_display = ["grant", "kind", "due_on", "state", "submitted_at"]
    list_filter = ["state", "kind"]
    search_fields = ["grant__number", "grant__organisation__legal_name"]
    list_select_related = ["grant"]


@admin.register(DonorReport)
class DonorReportAdmin(ReadOnlyAdmin):
    list_display = [
        "programme",
        "period_start",
        "period_end",
        "state",
        "progress",
        "pages",
        "requested_by",
        "requested_at",
    ]
    list_filter = ["state"]
    list_select_related = ["programme", "requested_by"]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "file_format", "state", "rows_done", "rows_total", "created_at"]
    list_filter = ["state", "kind"]


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["grant", "position", "name", "baseline", "target"]
    search_fields = ["grant__number", "name"]
