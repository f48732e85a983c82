from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ReportKind(models.TextChoices):
    INTERIM = "interim", _("Interim report")
    FINAL = "final", _("Final report")


class GranteeReportState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class GranteeReport(ConcurrentTransitionMixin, models.Model):
    grant = models.ForeignKey("grants.Grant", on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    due_on = models.DateField(_("due on"))
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    narrative = models.JSONField(_("narrative sections"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)
    state = FSMField(
        _("state"), default=GranteeReportState.SCHEDULED, choices=GranteeReportState.choices, protected=True
    )

    class Meta:
        ordering = ["grant", "due_on"]
        # The reports list, by due date, filtered by state or not.
        indexes = [
            models.Index(fields=["state", "due_on"], name="grantee_report_state_due"),
            models.Index(fields=["due_on", "id"], name="grantee_report_due"),
        ]
        verbose_name = _("grantee report")
        verbose_name_plural = _("grantee reports")

    @transition(
        field=state,
        source=[GranteeReportState.SCHEDULED, GranteeReportState.CHANGES_REQUESTED],
        target=GranteeReportState.SUBMITTED,
    )
    def submit(self):
        pass

    @transition(field=state, source=GranteeReportState.SUBMITTED, target=GranteeReportState.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=GranteeReportState.SUBMITTED, target=GranteeReportState.CHANGES_REQUESTED)
    def request_changes(self):
        pass


class Expenditure(models.Model):
    """What a report declares spent on one approved budget line, and what the manager refused."""

    report = models.ForeignKey(GranteeReport, on_delete=models.CASCADE, related_name="expenditures")
    budget_line = models.ForeignKey("grants.GrantBudgetLine", on_delete=models.PROTECT, related_name="expenditures")
    amount_spent = models.DecimalField(_("spent"), max_digits=14, decimal_places=2, default=Decimal("0"))
    ineligible_amount = models.DecimalField(_("ineligible"), max_digits=14, decimal_places=2, default=Decimal("0"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        constraints = [
            models.UniqueConstraint(fields=["report", "budget_line"], name="expenditure_once_per_line"),
            models.CheckConstraint(
                condition=models.Q(amount_spent__gte=0)
                & models.Q(ineligible_amount__gte=0)
                & models.Q(ineligible_amount__lte=models.F("amount_spent")),
                name="expenditure_amounts_valid",
            ),
        ]


class Indicator(models.Model):
    """A logframe indicator of a grant."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("indicator"), max_length=300)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, default=Decimal("0"))
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    programme_indicator = models.ForeignKey(
        "grants.ProgrammeIndicator",
        verbose_name=_("contributes to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant_indicators",
    )
    means_of_verification = models.CharField(_("means of verification"), max_length=300, blank=True)

    class Meta:
        ordering = ["grant", "position"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")


class IndicatorValue(models.Model):
    report = models.ForeignKey(GranteeReport, on_delete=models.CASCADE, related_name="indicator_values")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    actual = models.DecimalField(_("actual"), max_digits=14, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # Of the actual, by gender when the programme indicator is disaggregated so: {"women": "12.00", "men": "10.00"}.
    breakdown = models.JSONField(_("breakdown"), default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="indicator_value_once")]


class ReportDocument(models.Model):
    report = models.ForeignKey(GranteeReport, on_delete=models.CASCADE, related_name="documents")
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Evidence of an indicator's actual value, when the grantee says which one it supports.
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("evidence for"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
