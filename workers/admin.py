from django.contrib import admin
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from workers.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "email", "delivery", "key", "created_at", "sent_at", "attempts", "read_at"]
    list_filter = ["kind", "delivery", "language"]
    search_fields = ["email", "object_id", "key"]
    date_hierarchy = "created_at"
    raw_id_fields = ["recipient", "digest"]
    readonly_fields = [
        "kind",
        "recipient",
        "email",
        "language",
        "object_type",
        "object_id",
        "key",
        "context",
        "delivery",
        "created_at",
        "sent_at",
        "read_at",
        "attempts",
        "last_error",
        "digest",
    ]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the selected unsent messages again"))
    def retry(self, request, queryset):
        n = queryset.filter(sent_at__isnull=True).update(attempts=0, available_at=Now(), last_error="")
        self.message_user(
            request, ngettext("%(n)d message will be sent again.", "%(n)d messages will be sent again.", n) % {"n": n}
        )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "mode"]
    list_filter = ["kind", "mode"]
    raw_id_fields = ["user"]
