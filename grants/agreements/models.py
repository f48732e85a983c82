from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grants.calls.models import BudgetHeading, Call


class GrantState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    TERMINATED = "terminated", _("Terminated")


class Grant(ConcurrentTransitionMixin, models.Model):
    """A grant agreement made from an awarded application."""

    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT, related_name="grant")
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="grants")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="grants")
    number = models.CharField(_("grant number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300)
    amount_awarded = models.DecimalField(_("amount awarded"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_document = models.CharField(_("signed agreement (stored name)"), max_length=200, blank=True)
    # Kept by the payment service under the grant's row lock; the database refuses paid > awarded.
    paid_total = models.DecimalField(
        _("paid so far"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    state = FSMField(_("state"), default=GrantState.DRAFT, choices=GrantState.choices, protected=True)
    # 360Giving guidance: a grantee at risk may be published without its name (shown as "withheld").
    withhold_recipient = models.BooleanField(_("withhold the recipient's name in public"), default=False)
    withhold_reason = models.CharField(_("why the name is withheld"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["state", "-created_at"], name="grant_state_created")]  # the grants list
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_awarded__gt=0), name="grant_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(paid_total__gte=0) & models.Q(paid_total__lte=models.F("amount_awarded")),
                name="grant_paid_within_awarded",
            ),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="grant_period_ordered"),
        ]

    def __str__(self):
        return self.number

    @transition(field=state, source=GrantState.DRAFT, target=GrantState.ACTIVE)
    def sign(self):
        pass

    @transition(field=state, source=GrantState.ACTIVE, target=GrantState.SUSPENDED)
    def suspend(self):
        pass

    @transition(field=state, source=GrantState.SUSPENDED, target=GrantState.ACTIVE)
    def resume(self):
        pass

    @transition(field=state, source=GrantState.ACTIVE, target=GrantState.CLOSED)
    def close(self):
        pass

    @transition(field=state, source=[GrantState.ACTIVE, GrantState.SUSPENDED], target=GrantState.TERMINATED)
    def terminate(self):
        pass


class GrantBudgetLine(models.Model):
    """The approved budget of a grant (current version); amendments keep earlier versions."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="budget_lines")
    heading = models.ForeignKey(BudgetHeading, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["grant", "position"]
        verbose_name = _("approved budget line")
        verbose_name_plural = _("approved budget lines")


class Amendment(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="amendments")
    version = models.PositiveSmallIntegerField(_("version"))
    reason = models.TextField(_("reason"))
    lines = models.JSONField(_("budget lines of this version"), default=list)
    state = FSMField(default=State.PROPOSED, choices=State.choices, protected=True)
    proposed_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["grant", "version"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [models.UniqueConstraint(fields=["grant", "version"], name="amendment_version_unique")]

    @transition(field=state, source=State.PROPOSED, target=State.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=State.PROPOSED, target=State.REJECTED)
    def reject(self):
        pass
