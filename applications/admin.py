from django.contrib import admin

from applications.models import Application, Attachment, BudgetLine


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    readonly_fields = ["heading", "position", "description", "units", "unit_cost", "total"]
    can_delete = False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["document", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    exclude = ["stored_name"]
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: applications change only through their services (audited transitions)."""

    list_display = ["reference", "title", "organisation", "call", "state", "submitted_at"]
    list_filter = ["state", "call"]
    search_fields = ["reference", "title", "organisation__legal_name"]
    inlines = [BudgetLineInline, AttachmentInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
