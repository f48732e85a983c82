from django.contrib import admin

from .models import Call, Contribution, Criterion, Donor, Programme


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier"]
    search_fields = ["name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "budget", "starts_on", "ends_on"]
    inlines = [ContributionInline]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "programme", "state", "opens_at", "deadline", "envelope"]
    list_filter = ["state", "programme"]
    readonly_fields = ["state"]
    inlines = [CriterionInline]
