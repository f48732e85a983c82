from django.contrib import admin

from grants.agreements.models import Amendment, Grant, GrantBudgetLine
from grants.calls.models import (
    BudgetHeading,
    Call,
    Contribution,
    Criterion,
    Donor,
    Programme,
    Question,
    RequiredDocument,
    TranchePlanItem,
)
from grants.disbursement.models import ExchangeRate, Payment, Tranche


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "organisation_type"]
    search_fields = ["name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "budget", "starts_on", "ends_on", "envelopes_total"]
    readonly_fields = ["envelopes_total"]
    inlines = [ContributionInline]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


class BudgetHeadingInline(admin.TabularInline):
    model = BudgetHeading
    extra = 0


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


class TranchePlanInline(admin.TabularInline):
    model = TranchePlanItem
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Calls are edited on the managers' pages (audited); here they can be read and, as drafts, corrected."""

    list_display = ["code", "title", "programme", "state", "opens_at", "deadline", "envelope"]
    list_filter = ["state", "programme"]
    readonly_fields = ["state", "awarded_total"]
    inlines = [QuestionInline, BudgetHeadingInline, RequiredDocumentInline, CriterionInline, TranchePlanInline]


# --- Grants, tranches, payments, amendments, exchange rates -----------------------------------
# Read-only here: they change only through the services (row locks, four eyes, audit trail).


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GrantBudgetLineInline(admin.TabularInline):
    model = GrantBudgetLine
    extra = 0
    can_delete = False
    readonly_fields = ["heading", "position", "description", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


class TrancheInline(admin.TabularInline):
    model = Tranche
    extra = 0
    can_delete = False
    fields = readonly_fields = [  # type: ignore[assignment]
        "position",
        "share_pct",
        "condition",
        "planned_amount",
        "due_amount",
        "due_on",
        "state",
        "approved_by",
        "approved_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "organisation", "call", "amount_awarded", "currency", "paid_total", "state"]
    list_filter = ["state", "call__programme", "currency"]
    search_fields = ["number", "title", "organisation__legal_name"]
    list_select_related = ["organisation", "call"]
    inlines = [GrantBudgetLineInline, TrancheInline]


@admin.register(Tranche)
class TrancheAdmin(ReadOnlyAdmin):
    list_display = ["grant", "position", "condition", "planned_amount", "due_amount", "due_on", "state", "approved_by"]
    list_filter = ["state", "condition"]
    search_fields = ["grant__number"]
    list_select_related = ["grant", "approved_by"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "bank_reference",
        "grant",
        "tranche",
        "paid_on",
        "amount",
        "currency",
        "exchange_rate",
        "amount_programme_currency",
        "recorded_by",
    ]
    list_filter = ["currency"]
    search_fields = ["bank_reference", "grant__number"]
    list_select_related = ["grant", "tranche", "recorded_by"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    list_display = ["grant", "version", "state", "proposed_by", "proposed_at", "decided_by", "decided_at"]
    list_filter = ["state"]
    list_select_related = ["grant", "proposed_by", "decided_by"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    list_display = ["month", "base", "currency", "rate", "recorded_by", "recorded_at"]
    list_filter = ["currency", "base"]
