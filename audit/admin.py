from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent

if TYPE_CHECKING:
    AuditEventAdminBase = admin.ModelAdmin[AuditEvent]
else:
    AuditEventAdminBase = admin.ModelAdmin  # ModelAdmin takes no type parameters at run time


@admin.register(AuditEvent)
class AuditEventAdmin(AuditEventAdminBase):
    list_display = ("seq", "created_at", "actor_label", "action", "object_type", "object_id", "from_state", "to_state")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "reason")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
