from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, Invitation, Membership, Organisation, ProgrammeRole, User
from accounts.tokens import tokens_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ProgrammeRoleInline(admin.TabularInline):
    model = ProgrammeRole
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    inlines = [ProgrammeRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    # No "delete selected" over many users: accounts end by deactivation, which keeps the record.
    actions = None

    def save_model(self, request, obj, form, change):
        """Deactivating an account or changing its e-mail address ends its API tokens."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            tokens_revoke(user=obj, reason=ApiToken.Revoked.DEACTIVATED, actor=request.user)
        elif change and "email" in form.changed_data:
            tokens_revoke(user=obj, reason=ApiToken.Revoked.EMAIL, actor=request.user)

    def user_change_password(self, request, id, form_url=""):
        """A password set by an administrator ends the user's API tokens like one set by the user."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            tokens_revoke(user=self.get_object(request, id), reason=ApiToken.Revoked.PASSWORD, actor=request.user)
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at", "revoked_reason"]
    list_filter = ["revoked_reason"]
    search_fields = ["user__email", "prefix"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "revoked_reason"]

    def has_add_permission(self, request):
        return False  # tokens are made by their owner, on the API token page


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "country", "org_type", "registration_id", "created_at"]
    list_filter = ["country", "org_type"]
    search_fields = ["legal_name", "registration_id"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "created_at", "expires_at", "accepted_at"]


@admin.register(ProgrammeRole)
class ProgrammeRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "programme", "role"]
    list_filter = ["role", "programme"]
    autocomplete_fields = ["user"]
